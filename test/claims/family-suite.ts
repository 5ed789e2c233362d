/**
 * The claims suite for one family: every registered claim of the family, at
 * the quick tier under master seed 1, must pass, and every one of its
 * falsifiers must make the same check fail. Deterministic given the seed.
 * One test file per family lets vitest run families on both cores.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend, type BackendInfo } from '../../src/engine/backend.ts';
import { CLAIMS } from '../../src/claims/index.ts';
import type { Family } from '../../src/contract/claim.ts';
import { runClaim } from '../../src/verify/run-claims.ts';

export function claimsSuite(family: Family): void {
  const claims = CLAIMS.filter((c) => c.family === family);
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await useBackend('wasm');
  });
  if (claims.length === 0) {
    it.todo(`${family}: no claims registered yet`);
    return;
  }
  describe.each(claims.map((c) => [c.id, c] as const))('claim %s (quick tier, seed 1)', (_id, claim) => {
    it('passes, and every falsifier fails', { timeout: 600_000 }, async () => {
      const result = await runClaim(claim, { claims: [claim], tier: 'quick', seed: 1, backend });
      expect(result.error).toBeUndefined();
      expect(result.verdict).toBe('pass');
      expect(claim.falsifiers.length).toBeGreaterThan(0);
      for (const f of result.falsifiers) {
        expect({ falsifier: f.id, verdict: f.verdict }).toEqual({ falsifier: f.id, verdict: 'fail' });
      }
    });
  });
}
