/**
 * The claims suite: every registered claim, at the quick tier under the
 * default master seed, must pass, and every one of its falsifiers must make
 * the same check fail. Deterministic given the seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend, type BackendInfo } from '../../src/engine/backend.ts';
import { CLAIMS } from '../../theory/index.ts';
import { runClaim } from '../../src/verify/run-claims.ts';

let backend: BackendInfo;
beforeAll(async () => {
  backend = await useBackend('wasm');
});

describe.each(CLAIMS.map((c) => [c.id, c] as const))('claim %s (quick tier, seed 1)', (_id, claim) => {
  it('passes, and every falsifier fails', async () => {
    const result = await runClaim(claim, { claims: [claim], tier: 'quick', seed: 1, backend });
    expect(result.error).toBeUndefined();
    expect(result.verdict).toBe('pass');
    expect(claim.falsifiers.length).toBeGreaterThan(0);
    for (const f of result.falsifiers) {
      expect({ falsifier: f.id, verdict: f.verdict }).toEqual({ falsifier: f.id, verdict: 'fail' });
    }
  });
});
