// A claim file for `vae-claims verify --claims examples/claims` (or any directory of
// such files): it default-exports a claim declared with defineClaim, and the CLI
// runs it and its falsifiers and reports them like ours. The claim: the
// seed-averaged variance of a mini-batch mean falls like 1/B — measured on the
// engine's random stream, with a falsifier (batch size ignored) that must make
// the check fail.
import { RandomStream, atMost, bootstrapOverSeeds, deriveSeed, defineClaim } from 'vae-claims';

/** Least-squares slope of y on x. */
function slope(x, y) {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

export default defineClaim({
  id: 'example-minibatch-variance',
  title: 'The variance of a mini-batch mean falls like 1/B',
  family: 'convergence',
  source: { key: 'EX', authors: 'the example', title: 'a textbook fact', venue: 'examples/', arxiv: '0000.00000' },
  statement: 'Var(mean of B i.i.d. N(0,1) draws) = 1/B: log-variance slope −1 in log B.',
  assumptions: [],
  tiers: { quick: { seeds: 8, draws: 2000, ignoreB: false }, full: { seeds: 16, draws: 8000, ignoreB: false } },
  falsifiers: [{ id: 'batch-size-ignored', description: 'every B draws one point', expected: 'slope ≈ 0', mutate: (c) => ({ ...c, ignoreB: true }) }],
  async check(configs, ctx) {
    const Bs = [1, 2, 4, 8, 16, 32];
    return configs.map((c) => {
      // Per seed, the variance of the batch mean at each B.
      const perSeed = Array.from({ length: c.seeds }, (_, s) => {
        const rng = new RandomStream(deriveSeed(ctx.masterSeed, 'example', s));
        return Bs.map((B) => {
          const n = c.ignoreB ? 1 : B;
          let sumSq = 0;
          for (let d = 0; d < c.draws; d++) {
            let mean = 0;
            for (let i = 0; i < n; i++) mean += rng.normal() / n;
            sumSq += mean * mean;
          }
          return sumSq / c.draws;
        });
      });
      // Seeds averaged before logs; the interval bootstraps over seeds (the library's expanded percentile bootstrap).
      const statistic = (pick) => {
        const mean = Bs.map((_, j) => pick.reduce((a, s) => a + perSeed[s][j], 0) / pick.length);
        return [slope(Bs.map(Math.log), mean.map(Math.log))];
      };
      const [fit] = bootstrapOverSeeds(c.seeds, statistic, { bootstrapSeed: deriveSeed(ctx.masterSeed, 'example-bootstrap') });
      return { verdict: atMost(fit, -0.5), metrics: { slope: { value: fit.estimate, lower: fit.lower, upper: fit.upper, criterion: 'upper bound ≤ −0.5 (theory: −1; ignoring B gives 0)' } } };
    });
  },
});
