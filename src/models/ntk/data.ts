/**
 * Regression data for the NTK claims [WH24]: inputs uniform on the unit
 * sphere S^{d-1} (CLAIMS.md pitfall: d ≥ 8, since d = 2 gives kernel condition
 * numbers up to 10⁶) and a deterministic smooth teacher as the target.
 *
 * Teacher: t(x) = Σ_j sin(ω ⟨v_j, x⟩ + β_j) with unit directions v_j (uniform
 * on the sphere) and uniform phases: a smooth function of x whose frequency
 * does not grow with d; centred and rescaled to a chosen RMS over the points.
 * A target on the scale of the network's prior outputs (RMS ≈ √K(x, x)) keeps
 * the wide network in its lazy regime; a much larger target needs a wider
 * network for the same kernel drift (the width requirements of Du et al. 2019
 * grow with ‖y − f₀‖).
 *
 * Optionally the target gets an explicit component along a given unit vector
 * (the bottom eigenvector of the analytic NTK): the sharp-rate check measures
 * the residual along that direction, so the data must excite it.
 *
 * Every block draws from its own stream RandomStream.at(seed, 'ntk-data', block).
 */
import { RandomStream } from '../../engine/rng.ts';

export interface SphereData {
  n: number;
  d: number;
  /** Row-major n × d, every row of unit norm. */
  x: Float64Array;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} = ${value}; allowed an integer ≥ ${min}`);
  }
}

/** n points uniform on S^{d-1} (normalised Gaussians). */
export function sphereInputs(n: number, d: number, seed: number, block = 'inputs'): SphereData {
  requireInteger('n (number of points)', n, 1);
  requireInteger('d (input dimension)', d, 2);
  const rng = RandomStream.at(seed, 'ntk-data', block);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let j = 0; j < d; j++) {
      const v = rng.normal();
      x[i * d + j] = v;
      norm2 += v * v;
    }
    const inv = 1 / Math.sqrt(norm2);
    for (let j = 0; j < d; j++) x[i * d + j] *= inv;
  }
  return { n, d, x };
}

export interface Teacher {
  /** Directions v_j (row-major J × d), frequencies ω and phases β_j. */
  directions: Float64Array;
  phases: Float64Array;
  frequency: number;
  d: number;
}

/** A random smooth teacher: J sinusoidal ridge functions of frequency ω. */
export function sinusoidTeacher(d: number, seed: number, ridges = 3, frequency = 2): Teacher {
  requireInteger('d (input dimension)', d, 1);
  requireInteger('ridges', ridges, 1);
  const rng = RandomStream.at(seed, 'ntk-data', 'teacher');
  const directions = new Float64Array(ridges * d);
  rng.fillNormal(directions);
  for (let j = 0; j < ridges; j++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += directions[j * d + k] ** 2;
    for (let k = 0; k < d; k++) directions[j * d + k] /= Math.sqrt(norm);
  }
  const phases = new Float64Array(ridges);
  for (let j = 0; j < ridges; j++) phases[j] = 2 * Math.PI * rng.uniform();
  return { directions, phases, frequency, d };
}

/** Raw teacher values at the points (not normalised). */
export function evaluateTeacher(t: Teacher, data: SphereData): Float64Array {
  if (data.d !== t.d) throw new RangeError(`teacher has d = ${t.d}, data has d = ${data.d}`);
  const out = new Float64Array(data.n);
  const J = t.phases.length;
  for (let i = 0; i < data.n; i++) {
    let s = 0;
    for (let j = 0; j < J; j++) {
      let dot = 0;
      for (let k = 0; k < t.d; k++) dot += t.directions[j * t.d + k] * data.x[i * t.d + k];
      s += Math.sin(t.frequency * dot + t.phases[j]);
    }
    out[i] = s;
  }
  return out;
}

export interface TargetOptions {
  /** Root-mean-square of the returned targets over the given points. */
  rms: number;
  /**
   * Optional unit vector u (length n) and weight w ∈ [0, 1): the returned
   * targets are rms·√n·(√(1−w²)·t̂ + w·u) with t̂ the centred teacher made
   * orthogonal to u and normalised, so ⟨y, u⟩ = w·‖y‖ exactly.
   */
  excite?: { direction: Float64Array; weight: number };
}

/** Teacher values centred and scaled to the requested RMS, optionally exciting one direction. */
export function normaliseTargets(raw: Float64Array, opts: TargetOptions): Float64Array {
  const n = raw.length;
  if (!(opts.rms > 0)) throw new RangeError(`target rms = ${opts.rms}; allowed > 0`);
  const t = Float64Array.from(raw);
  let mean = 0;
  for (const v of t) mean += v;
  mean /= n;
  for (let i = 0; i < n; i++) t[i] -= mean;
  let w = 0;
  if (opts.excite) {
    const { direction: u, weight } = opts.excite;
    if (u.length !== n) throw new RangeError(`excited direction has length ${u.length}, targets ${n}`);
    if (!(weight >= 0 && weight < 1)) throw new RangeError(`excitation weight = ${weight}; allowed 0 ≤ w < 1`);
    let un = 0;
    let tu = 0;
    for (let i = 0; i < n; i++) {
      un += u[i] * u[i];
      tu += t[i] * u[i];
    }
    for (let i = 0; i < n; i++) t[i] -= (tu / un) * u[i];
    w = weight;
  }
  let norm = 0;
  for (const v of t) norm += v * v;
  norm = Math.sqrt(norm);
  if (!(norm > 0)) throw new RangeError('the teacher is constant on these points: cannot normalise');
  const scale = opts.rms * Math.sqrt(n);
  const out = new Float64Array(n);
  let uNorm = 1;
  if (opts.excite) {
    let s = 0;
    for (const v of opts.excite.direction) s += v * v;
    uNorm = Math.sqrt(s);
  }
  for (let i = 0; i < n; i++) {
    out[i] = scale * (Math.sqrt(1 - w * w) * (t[i] / norm) + (opts.excite ? (w * opts.excite.direction[i]) / uNorm : 0));
  }
  return out;
}
