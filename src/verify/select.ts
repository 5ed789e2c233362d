/**
 * Which claims a run covers.
 *  - Selection: `--claim` patterns are claim ids, globs over ids (picomatch:
 *    "sgd-*", "*-rate-*", "{ntk,snn}-*") or family names ("convergence",
 *    "entropy", "ntk"). The result keeps registry order, whatever the order
 *    of the patterns, so every machine derives the same run order.
 *  - Sharding: shard i of n takes the claims at positions i-1, i-1+n,
 *    i-1+2n, ... of that ordered selection (round robin). It depends only on
 *    the registry and the arguments, never on timing or the machine, so n
 *    machines given the same arguments cover the selection exactly once, and
 *    every claim derives its seeds from the master seed and its own id, so a
 *    claim's result does not depend on which shard ran it.
 */
import picomatch from 'picomatch';
import type { Claim, Family } from '../contract/claim.ts';

export class SelectionError extends Error {
  override name = 'SelectionError';
}

export const ALL_FAMILIES: readonly Family[] = ['convergence', 'ntk', 'entropy'];

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Claims matching any pattern, in registry order; every pattern must match something. */
export function selectClaims<C extends Pick<Claim, 'id' | 'family'>>(registry: readonly C[], patterns: readonly string[]): C[] {
  const wanted = patterns.map((p) => p.trim()).filter(Boolean);
  if (wanted.length === 0) return [...registry];
  const chosen = new Set<string>();
  for (const pattern of wanted) {
    const matches = matchPattern(registry, pattern);
    if (matches.length === 0) {
      throw new SelectionError(
        `--claim "${pattern}" matches no claim; allowed: a claim id (${registry.map((c) => c.id).join(', ') || 'none registered'}), ` +
          `a glob over ids such as "sgd-*", or a family (${ALL_FAMILIES.join(', ')})`,
      );
    }
    for (const c of matches) chosen.add(c.id);
  }
  return registry.filter((c) => chosen.has(c.id));
}

function matchPattern<C extends Pick<Claim, 'id' | 'family'>>(registry: readonly C[], pattern: string): C[] {
  if ((ALL_FAMILIES as readonly string[]).includes(pattern)) return registry.filter((c) => c.family === pattern);
  const exact = registry.filter((c) => c.id === pattern);
  if (exact.length) return exact;
  const isMatch = picomatch(pattern, { nocase: false });
  return registry.filter((c) => isMatch(c.id));
}

/** Parses "i/n" (1 ≤ i ≤ n). */
export function parseShard(raw: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new SelectionError(`--shard "${raw}" is not valid; allowed: i/n with integers 1 ≤ i ≤ n, e.g. 1/4`);
  }
  return { index, count };
}

/** The claims shard `index` of `count` runs (round robin over the ordered selection). */
export function shardClaims<C>(selection: readonly C[], shard: Shard): C[] {
  return selection.filter((_, position) => position % shard.count === shard.index - 1);
}
