/**
 * Every claim that grows (runClaim re-runs it once, larger, when its first run had no power):
 * the grown configuration is valid, larger in exactly the stated way, and its falsifiers grow
 * with it, at both tiers. The catalogue is listed, so a claim that gains `grow` is covered.
 */
import { describe, expect, it } from 'vitest';
import { CLAIMS } from '../../src/claims/index.ts';
import { validateConfig } from '../../src/config/hyperparameters.ts';
import type { ConfigSchema } from '../../src/contract/claim.ts';

type Sized = { seeds: number; steps: number; evaluation?: { averageLast: number } };

/** What each growing claim doubles; a claim added to the catalogue with `grow` must be listed here. */
const DOUBLES: Record<string, 'seeds' | 'steps'> = {
  'sgd-rate-linear-vae': 'seeds',
  'adam-rate-linear-vae': 'seeds',
  'adam-rate-deep-vae': 'seeds',
  'iwae-rate-adam': 'seeds',
  'entropy-vae-variants': 'steps',
};

describe('claims that grow once when undecided', () => {
  const growing = CLAIMS.filter((c) => c.grow);

  it('are exactly the listed ones', () => {
    expect(growing.map((c) => c.id).sort()).toEqual(Object.keys(DOUBLES).sort());
  });

  for (const claim of growing) {
    for (const tier of ['quick', 'full'] as const) {
      it(`${claim.id} (${tier}): the grown configuration is valid and doubles its ${DOUBLES[claim.id]}, and the falsifiers follow`, () => {
        const own = claim.tiers[tier] as Sized;
        const grow = claim.grow!(own);
        if (!('config' in grow)) throw new Error(`declined: ${grow.declined}`);
        const grown = grow.config as Sized;
        validateConfig(claim.id, grown, 'grown configuration', claim.schema as ConfigSchema<unknown> | undefined);
        const what = DOUBLES[claim.id];
        const other = what === 'seeds' ? 'steps' : 'seeds';
        expect(grown[what]).toBe(2 * own[what]);
        expect(grown[other]).toBe(own[other]);
        if (what === 'steps' && own.evaluation) expect(grown.evaluation!.averageLast).toBe(2 * own.evaluation.averageLast);
        expect(grow.what).toContain(String(2 * own[what]));
        for (const f of claim.falsifiers) {
          const before = f.mutate(own) as Sized;
          const after = f.mutate(grown) as Sized;
          // A falsifier's run grows as the claim's does (its own size may be capped below the claim's).
          expect(after[what]).toBeGreaterThanOrEqual(before[what]);
          if (before[what] === own[what]) expect(after[what]).toBe(grown[what]);
        }
      });
    }
  }
});
