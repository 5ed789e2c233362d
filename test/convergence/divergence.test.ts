/**
 * Divergence inside a shared replica batch: the diverged replica's
 * configurations are marked (verdict 'fail', step recorded) and the others
 * are retrained without them.
 */
import { describe, expect, it } from 'vitest';
import { DivergenceError } from '../../src/engine/trainer.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry } from '../../src/claims/shared/divergence.ts';

describe('withDivergenceRetry', () => {
  it('marks the diverged configurations and retries the rest', () => {
    const attempts: number[][] = [];
    const out = withDivergenceRetry(4, (active) => {
      attempts.push(active);
      if (active.includes(2)) throw new DivergenceError(`${configLabel([2])}, seed 3`, 51, 'objective is NaN');
      if (active.includes(0)) throw new DivergenceError(`${configLabel([0, 3])}, seed 0`, 900, 'objective is -Infinity');
      return active.map((c) => `trained ${c}`);
    });
    expect(attempts).toEqual([[0, 1, 2, 3], [0, 1, 3], [1]]);
    expect(out[1]).toBe('trained 1');
    for (const [c, step] of [[0, 900], [2, 51], [3, 900]] as const) {
      const d = out[c];
      expect(isDiverged(d)).toBe(true);
      if (isDiverged(d)) {
        expect(d.diverged.step).toBe(step);
        expect(divergedResult(d).verdict).toBe('fail');
      }
    }
  });

  it('does not swallow other errors', () => {
    expect(() => withDivergenceRetry(2, () => { throw new RangeError('bad setting'); })).toThrow(/bad setting/);
  });
});

describe('a claim whose own configuration diverges', () => {
  it('is reported as "error" naming the step and the setting; its falsifiers keep their verdicts', async () => {
    const { useBackend } = await import('../../src/engine/backend.ts');
    const { runClaim } = await import('../../src/verify/run-claims.ts');
    const { parseOverride } = await import('../../src/config/overrides.ts');
    const claim = (await import('../../src/claims/convergence/sgd-rate-linear-vae.ts')).default;
    const backend = await useBackend('wasm');
    // C = 1e4 with γ_k = C k^{-1/2}: far beyond the stability limit of SGD on this quadratic-in-W objective.
    const result = await runClaim(claim, {
      claims: [claim],
      tier: 'quick',
      seed: 1,
      backend,
      overrides: [parseOverride('schedule.C=10000'), parseOverride('steps=200')],
    });
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(/sgd-rate-linear-vae \(tier quick\): training diverged at step \d+ in replica "config 0, seed \d+" \(C = 10000, α = 0\.5, B = 32, K = 1, β = 1\)/);
    // The constant-step falsifier diverges too: for it that is a catch (G_n → ∞).
    expect(result.falsifiers[0]).toMatchObject({ id: 'constant-step', verdict: 'fail', caught: true });
    expect(result.notes.join(' ')).toMatch(/settings changed from the quick tier: schedule\.C=10000, steps=200/);
  });
});
