/**
 * Are a configuration's S seeds independent runs? Every interval of the
 * convergence claims that train replicas over seeds (linear-VAE rates, IWAE
 * rate, deep-VAE Adam rate) is a bootstrap over seeds: S copies of one trajectory (a
 * seed index dropped where the replica seeds are derived) or S runs from one
 * initial point (an initialisation stream not seeded per replica) make those
 * intervals describe one run's noise, or none, while the verdicts still read
 * like evidence. Checked after training, on what the engine actually did:
 *   seeds       the replicas' seeds are pairwise distinct, and the streams the
 *               engine derives from them (src/engine/replica.ts: initialisation,
 *               data order, reparameterisation noise) start differently from
 *               one another, across seeds and across a seed's three streams;
 *   θ₀          the seeds' initial parameter vectors are pairwise distinct;
 *   G           their trajectories of ‖∇L(θ_k)‖² (at every iterate or at the
 *               claim's checkpoints) are pairwise distinct;
 *   spread      the spread of the randomly initialised blocks across seeds
 *               matches the initialisation's law N(0, s²) entrywise:
 *               Q = Σ_i Σ_s (θ_{s,i} − θ̄_i)² / s² ~ χ²_{(S−1)·n} for n
 *               independent entries, two-sided at false alarm 1e-6 (so a
 *               correct engine trips it once in a million runs; shared or
 *               correlated initialisations give Q ≈ 0, a wrong scale a Q
 *               far from its degrees of freedom).
 * The first three are exact comparisons (no false alarm: distinct 64-bit
 * stream seeds collide with probability ~S²·2⁻⁶⁴).
 */
import { replicaStreams } from '../../engine/replica.ts';
import type { ReplicaParams } from '../../engine/trainer.ts';
import { chiSquareTails } from '../../stats/chi-square.ts';

export const SPREAD_FALSE_ALARM = 1e-6;
/** Uniforms compared per stream. */
const STREAM_PREFIX = 4;

export interface SeedRunView {
  seed: number;
  g: Float64Array;
  initial: ReplicaParams;
}

export interface SeedIndependenceResult {
  ok: boolean;
  detail: string;
  /** "seeds are not independent: …" when not ok. */
  error?: string;
}

function sameParams(a: ReplicaParams, b: ReplicaParams): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => b[name] !== undefined && a[name].length === b[name].length && a[name].every((v, i) => Object.is(v, b[name][i])));
}

function sameSeries(a: Float64Array, b: Float64Array): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => Object.is(v, b[i])));
}

/** The first pair (i < j) for which `same` holds, else null. */
function firstPair<T>(items: readonly T[], same: (a: T, b: T) => boolean): [number, number] | null {
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) if (same(items[i], items[j])) return [i, j];
  return null;
}

/**
 * `runs`: one configuration's seeds in seed order; `initScale`: the standard
 * deviation s of the N(0, s²) initialisation of the blocks named in
 * `randomBlocks` (the others may be deterministic and are compared, not tested).
 * `{ commonStart }` instead: every seed starts from one given point on purpose
 * (e.g. gradient-noise-law starts at the optimum θ*), stated in the text; then
 * θ₀ must be the SAME for every seed and the rest (seeds, streams,
 * trajectories) is checked as usual.
 */
export function seedIndependence(runs: readonly SeedRunView[], init: { scale: number; randomBlocks: readonly string[] } | { commonStart: string }, label = ''): SeedIndependenceResult {
  const S = runs.length;
  const where = label ? ` (${label})` : '';
  const failures: string[] = [];
  const seedPair = firstPair(runs, (a, b) => a.seed === b.seed);
  if (seedPair) failures.push(`seeds ${seedPair[0]} and ${seedPair[1]} are trained with the same replica seed ${runs[seedPair[0]].seed}`);
  const streams = runs.flatMap((r, s) => {
    const st = replicaStreams(r.seed);
    return (['init', 'data', 'noise'] as const).map((kind) => ({ what: `seed ${s}'s ${kind} stream`, prefix: Array.from({ length: STREAM_PREFIX }, () => st[kind].uniform()).join(',') }));
  });
  const streamPair = firstPair(streams, (a, b) => a.prefix === b.prefix);
  if (streamPair) failures.push(`${streams[streamPair[0]].what} and ${streams[streamPair[1]].what} draw the same numbers`);
  const common = 'commonStart' in init ? init.commonStart : null;
  if (common !== null) {
    const other = runs.findIndex((r) => !sameParams(r.initial, runs[0].initial));
    if (other > 0) failures.push(`seed ${other} does not start from ${common} as seed 0 does`);
  } else {
    const initPair = firstPair(runs, (a, b) => sameParams(a.initial, b.initial));
    if (initPair) failures.push(`seeds ${initPair[0]} and ${initPair[1]} start from the same initial parameters θ₀`);
  }
  const gPair = firstPair(runs, (a, b) => sameSeries(a.g, b.g));
  if (gPair) failures.push(`seeds ${gPair[0]} and ${gPair[1]} have identical trajectories of ‖∇L(θ_k)‖²`);

  let spread = common !== null ? `every seed starts from ${common} (no initial spread to test)` : S >= 2 ? 'spread not tested (the initial law is not known)' : 'spread not tested (one seed)';
  if (S >= 2 && !('commonStart' in init) && init.randomBlocks.length > 0) {
    let Q = 0;
    let n = 0;
    for (const name of init.randomBlocks) {
      const size = runs[0].initial[name].length;
      for (let i = 0; i < size; i++) {
        let mean = 0;
        for (const r of runs) mean += r.initial[name][i];
        mean /= S;
        for (const r of runs) Q += ((r.initial[name][i] - mean) / init.scale) ** 2;
        n++;
      }
    }
    const nu = (S - 1) * n;
    const tails = chiSquareTails(Q, nu);
    const p = Math.min(1, 2 * Math.min(tails.lower, tails.upper));
    spread = `spread of the initial ${init.randomBlocks.join(', ')} across seeds Q/s² = ${Q.toPrecision(4)} on χ²_${nu} (two-sided p = ${p.toPrecision(2)}, false alarm ${SPREAD_FALSE_ALARM})`;
    if (p < SPREAD_FALSE_ALARM) failures.push(`the ${spread} does not match independent N(0, ${init.scale}²) initialisations`);
  }
  const what = common !== null ? 'replica seeds, their streams and ‖∇L‖² trajectories pairwise distinct, one common initial point' : 'replica seeds, their streams, initial points and ‖∇L‖² trajectories pairwise distinct';
  const detail = `${S} seeds${where}: ${what}${failures.length ? ' — NOT' : ''}; ${spread}`;
  return { ok: failures.length === 0, detail, ...(failures.length ? { error: `seeds are not independent${where}: ${failures.join('; ')}` } : {}) };
}
