/** Family-N data: unit-sphere inputs, targets with exact RMS and exact excitation of a chosen direction. */
import { describe, expect, it } from 'vitest';
import { evaluateTeacher, normaliseTargets, sinusoidTeacher, sphereInputs } from '../../src/models/ntk/data.ts';
import { RandomStream } from '../../src/engine/rng.ts';

describe('ntk data', () => {
  it('inputs lie on the unit sphere and are deterministic given the seed', () => {
    const a = sphereInputs(20, 16, 5);
    const b = sphereInputs(20, 16, 5);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    for (let i = 0; i < 20; i++) {
      let s = 0;
      for (let k = 0; k < 16; k++) s += a.x[i * 16 + k] ** 2;
      expect(s).toBeCloseTo(1, 12);
    }
    expect(() => sphereInputs(0, 16, 5)).toThrow(/n \(number of points\) = 0; allowed an integer ≥ 1/);
  });

  it('targets have the requested RMS, zero mean without excitation, and ⟨y, u⟩ = w‖y‖ with it', () => {
    const data = sphereInputs(24, 8, 9);
    const raw = evaluateTeacher(sinusoidTeacher(8, 3), data);
    const rms = (v: Float64Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    const y = normaliseTargets(raw, { rms: 0.7 });
    expect(rms(y)).toBeCloseTo(0.7, 12);
    expect(y.reduce((a, x) => a + x, 0)).toBeCloseTo(0, 10);
    const rng = new RandomStream(17);
    const u = Float64Array.from({ length: 24 }, () => rng.normal());
    const un = Math.sqrt(u.reduce((a, x) => a + x * x, 0));
    const z = normaliseTargets(raw, { rms: 0.7, excite: { direction: u, weight: 0.5 } });
    const zn = Math.sqrt(z.reduce((a, x) => a + x * x, 0));
    expect(rms(z)).toBeCloseTo(0.7, 12);
    expect(z.reduce((a, x, i) => a + x * u[i], 0) / (un * zn)).toBeCloseTo(0.5, 12);
    expect(() => normaliseTargets(raw, { rms: 1, excite: { direction: u, weight: 1 } })).toThrow(/allowed 0 ≤ w < 1/);
  });
});
