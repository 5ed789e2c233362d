/**
 * The growth most claims that grow use (Claim.grow, run once by runClaim when the first run had
 * no power): twice the seeds, the first run's among them, since a replica's seed derives from
 * the claim, the master seed and its index. Each claim says beside its use why more seeds are
 * the remedy for its undecided runs.
 */
export function doubleSeeds<T extends { seeds: number }>(c: T): { config: T; what: string } {
  return { config: { ...c, seeds: 2 * c.seeds }, what: `${2 * c.seeds} seeds instead of ${c.seeds}` };
}
