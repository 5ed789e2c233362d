/**
 * vitest matchers for claim results: `import 'vae-claims/vitest'` registers
 * them (a setup file or the test file itself), then
 *
 *   const report = await verify({ claims: [withOptimizer(claimById('adam-rate-linear-vae')!, myOptimizer)] });
 *   expect(report.claims[0]).toHold();                      // pass, every falsifier caught
 *   expect(report.claims[0]).toBeCaughtBy('constant-step');  // that falsifier failed the check
 *   expect(report.claims[0]).toConvergeAtRate({ atMost: 0 }); // normalised slope's upper bound
 *   expect(report).toHold();                                 // every claim of a report
 *
 * Failure messages show the verdict, the metrics with their intervals and
 * criteria, the falsifiers that were let through, and the error, if any.
 */
import { expect } from 'vitest';
import type { Metric } from './contract/claim.ts';
import type { ClaimResult, VerifyReport } from './contract/result.ts';

function formatMetric(name: string, m: Metric): string {
  const interval = m.lower !== undefined && m.upper !== undefined ? ` [${m.lower.toPrecision(3)}, ${m.upper.toPrecision(3)}]` : '';
  return `${name} = ${m.value.toPrecision(3)}${interval}${m.criterion ? ` (criterion: ${m.criterion})` : ''}`;
}

function describe(r: ClaimResult): string {
  const judged = Object.entries(r.metrics).filter(([, m]) => m.criterion && !/^reported/.test(m.criterion));
  const lines = [
    `${r.id}: ${r.verdict}`,
    ...(r.error ? [`  error: ${r.error}`] : []),
    ...judged.map(([n, m]) => `  ${formatMetric(n, m)}`),
    ...r.falsifiers.map((f) => `  falsifier ${f.id}: ${f.verdict}${f.caught ? ' (caught)' : ' (NOT caught)'}`),
    ...r.notes.filter((n) => /No power|Grown once/.test(n)).map((n) => `  note: ${n}`),
  ];
  return lines.join('\n');
}

const isReport = (x: unknown): x is VerifyReport => typeof x === 'object' && x !== null && Array.isArray((x as VerifyReport).claims);
const isClaim = (x: unknown): x is ClaimResult => typeof x === 'object' && x !== null && typeof (x as ClaimResult).verdict === 'string' && Array.isArray((x as ClaimResult).falsifiers);

export const claimMatchers = {
  /** A claim result that passed with every falsifier caught; or a report whose every claim did (and that is complete). */
  toHold(received: unknown) {
    const claims = isReport(received) ? received.claims : isClaim(received) ? [received] : null;
    if (!claims) return { pass: false, message: () => 'expected a claim result or a report (the objects runClaim / verify return)' };
    const bad = claims.filter((c) => c.verdict !== 'pass' || c.falsifiers.some((f) => !f.caught));
    const partial = isReport(received) && received.partial ? `the report is partial (not run: ${received.partial.notRun.join(', ')})` : '';
    return {
      pass: bad.length === 0 && !partial,
      message: () =>
        bad.length === 0 && !partial
          ? `expected some claim not to hold, but all ${claims.length} passed with every falsifier caught`
          : `expected every claim to hold${partial ? `; ${partial}` : ''}:\n${bad.map(describe).join('\n')}`,
    };
  },

  /** The named falsifier made the same check fail. */
  toBeCaughtBy(received: unknown, falsifierId: string) {
    if (!isClaim(received)) return { pass: false, message: () => 'expected a claim result' };
    const f = received.falsifiers.find((x) => x.id === falsifierId);
    if (!f) return { pass: false, message: () => `${received.id} has no falsifier "${falsifierId}"; it has ${received.falsifiers.map((x) => x.id).join(', ')}` };
    const metrics = Object.entries(f.metrics).map(([n, m]) => `  ${formatMetric(n, m)}`).join('\n');
    return {
      pass: f.caught,
      message: () => (f.caught ? `expected ${falsifierId} not to be caught, but the check failed under it` : `expected ${received.id}'s falsifier ${falsifierId} to make the check fail; its verdict was ${f.verdict}:\n${metrics}`),
    };
  },

  /** A rate metric's upper bound at most `atMost` (default metric: normalisedSlope, the slope of log(G_n √n / log n)). */
  toConvergeAtRate(received: unknown, opts: { atMost: number; metric?: string }) {
    if (!isClaim(received)) return { pass: false, message: () => 'expected a claim result' };
    const name = opts.metric ?? 'normalisedSlope';
    const m = received.metrics[name];
    if (!m) return { pass: false, message: () => `${received.id} has no metric "${name}"; it has ${Object.keys(received.metrics).join(', ')}` };
    const upper = m.upper ?? m.value;
    return {
      pass: upper <= opts.atMost,
      message: () => `expected ${received.id}'s ${name} upper bound ≤ ${opts.atMost}: ${formatMetric(name, m)}`,
    };
  },
};

expect.extend(claimMatchers);

interface ClaimMatchers<R = unknown> {
  toHold(): R;
  toBeCaughtBy(falsifierId: string): R;
  toConvergeAtRate(opts: { atMost: number; metric?: string }): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends ClaimMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends ClaimMatchers {}
}
