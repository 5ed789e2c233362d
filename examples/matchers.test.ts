/**
 * The vitest matchers of `vae-claims/vitest` in a user's test suite, public
 * API only: a claim of the registry judged at the quick tier, and a claim
 * that does not hold, with the failure message the matcher prints.
 */
import { describe, expect, it } from 'vitest';
import 'vae-claims/vitest';
import { claimById, verify } from 'vae-claims';

describe('vae-claims/vitest', () => {
  it('toHold, toBeCaughtBy and toConvergeAtRate on a real claim', { timeout: 120_000 }, async () => {
    const report = await verify({ claims: ['entropy-sbn', 'sgd-rate-linear-vae'], tier: 'quick', set: ['steps=4000'] });
    const sbn = report.claims.find((c) => c.id === 'entropy-sbn')!;
    expect(sbn).toHold();
    expect(sbn).toBeCaughtBy(claimById('entropy-sbn')!.falsifiers[0].id);
    const rate = report.claims.find((c) => c.id === 'sgd-rate-linear-vae')!;
    expect(rate).toBeCaughtBy('constant-step');
    expect(rate).toConvergeAtRate({ atMost: 0.03 });
  });

  it('a failure message shows the verdict, the metric with its interval and criterion', async () => {
    const report = await verify({ claims: ['entropy-sbn'], tier: 'quick' });
    const claim = { ...report.claims[0], verdict: 'fail' as const };
    expect(() => expect(claim).toHold()).toThrow(/entropy-sbn: fail/);
    expect(() => expect(claim).toBeCaughtBy('no-such-falsifier')).toThrow(/has no falsifier "no-such-falsifier"/);
  });
});
