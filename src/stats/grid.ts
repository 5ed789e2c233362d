/**
 * Log-spaced checkpoint grids: distinct integer steps in [from, to], about
 * `perDecade` per factor of ten, always including both ends.
 */
export function logSpacedSteps(from: number, to: number, perDecade: number): number[] {
  if (!(from >= 1) || !(to >= from)) throw new RangeError(`need 1 ≤ from ≤ to, got [${from}, ${to}]`);
  if (!(perDecade > 0)) throw new RangeError(`perDecade = ${perDecade}; allowed > 0`);
  const decades = Math.log10(to / from);
  const count = Math.max(1, Math.ceil(decades * perDecade));
  const out = new Set<number>();
  for (let i = 0; i <= count; i++) out.add(Math.round(from * Math.pow(to / from, i / count)));
  return [...out].sort((a, b) => a - b);
}
