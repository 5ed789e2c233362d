/**
 * Divergence inside a shared replica batch: the diverged replica's
 * configurations are marked (verdict 'fail', step recorded) and the others
 * are retrained without them.
 */
import { describe, expect, it } from 'vitest';
import { DivergenceError } from '../../src/engine/trainer.ts';
import { configLabel, divergedResult, isDiverged, withDivergenceRetry } from '../../src/checks/divergence.ts';

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
