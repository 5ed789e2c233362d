/**
 * Exact gradients for the engine arms of the entropy claims, by central
 * differences of a float64 objective (the oracle's ELBO). Why differences and
 * not a hand-derived gradient: the reference must be independent of the
 * engine's gradient code, and a derivative formula written twice by the same
 * hand can carry the same mistake twice. A difference quotient shares nothing
 * with the engine but the objective's definition.
 *
 * Accuracy: with step h_i = h·max(1, |θ_i|) the error is
 *   |f'''| h_i²/6 (truncation) + ε_f / h_i (rounding of f),
 * ε_f ≈ 1e-15·|f| for the sufficient-statistics objectives used here
 * (a few hundred terms). With h = 1e-5 and |f| ≲ 100, |f'''| ≲ 10: ≲ 2e-10 +
 * 1e-8, i.e. absolute errors ≲ 1e-8 — below the float32 floor of the
 * engine's end points (gradients ≈ 1e-7·scale), which is what it measures.
 */

/** Parameters by name, float64 copies (engine parameters are float32: the values are exact). */
export type Params64 = Record<string, Float64Array>;

export const FD_STEP = 1e-5;

export function toParams64(p: Record<string, ArrayLike<number>>): Params64 {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
}

export function zerosLike(p: Params64): Params64 {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float64Array(v.length)]));
}

/** Central-difference gradient of f at `at` (every coordinate; `at` is restored). */
export function centralGradient(f: (p: Params64) => number, at: Params64, h = FD_STEP): Params64 {
  const g = zerosLike(at);
  for (const [name, v] of Object.entries(at)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const step = h * Math.max(1, Math.abs(x));
      v[i] = x + step;
      const up = f(at);
      v[i] = x - step;
      const down = f(at);
      v[i] = x;
      g[name][i] = (up - down) / (2 * step);
    }
  }
  return g;
}

/** Σ_i a_i b_i over every parameter. */
export function dot(a: Params64, b: Params64): number {
  let s = 0;
  for (const [name, v] of Object.entries(a)) for (let i = 0; i < v.length; i++) s += v[i] * b[name][i];
  return s;
}

/** Σ_i |a_i b_i| over every parameter. */
export function absDot(a: Params64, b: Params64): number {
  let s = 0;
  for (const [name, v] of Object.entries(a)) for (let i = 0; i < v.length; i++) s += Math.abs(v[i] * b[name][i]);
  return s;
}

/** Σ_i |a_i|. */
export function l1(a: Params64): number {
  let s = 0;
  for (const v of Object.values(a)) for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
}

/** max_i |a_i|. */
export function maxAbs(a: Params64): number {
  let s = 0;
  for (const v of Object.values(a)) for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
  return s;
}
