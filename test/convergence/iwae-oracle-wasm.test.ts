/**
 * The IWAE reference's WebAssembly port (src/models/linear-vae/iwae-oracle-wasm.ts, source
 * wasm/iwae-oracle.as.ts) against the JavaScript it ports (iwae-oracle.ts's iwaeDrawJs):
 *   - the port is what iwaeDraw runs here, and VAE_CLAIMS_IWAE_ORACLE=js turns it off;
 *   - the bound and every gradient entry are bitwise equal (Object.is) over odd and even dx
 *     and dz, K = 1 to 9 with a noise stride above K, the reparameterised and DReG encoder
 *     gradients, self-normalised and tempered weights, σ_x ≠ 1, Float32Array and
 *     Float64Array data, parameters from small to overflowing (infinite and NaN weights).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/engine/rng.ts';
import { iwaeDecoderBlocks, iwaeDecoderBlocksJs, iwaeDraw, iwaeDrawJs, pointwiseLogMarginal, type IwaeDrawOptions } from '../../src/models/linear-vae/iwae-oracle.ts';
import { iwaeOracleImplementation } from '../../src/models/linear-vae/iwae-oracle-wasm.ts';
import { zeroParams, type LinearVaeDims, type LinearVaeParams } from '../../src/models/linear-vae/params.ts';

function params(dims: LinearVaeDims, seed: number, scale = 0.5): LinearVaeParams {
  const rng = RandomStream.at('iwae-oracle-wasm-params', seed);
  const p = zeroParams(dims);
  for (const block of [p.W, p.b, p.V, p.c]) for (let i = 0; i < block.length; i++) block[i] = scale * rng.normal();
  for (let i = 0; i < p.s.length; i++) p.s[i] = Math.min(scale, 1) * rng.normal();
  return p;
}

function inputs(dims: LinearVaeDims, n: number, stride: number, seed: number, f32: boolean): { x: ArrayLike<number>; eps: Float64Array } {
  const rng = RandomStream.at('iwae-oracle-wasm-draws', seed);
  const x = Array.from({ length: n * dims.dx }, () => 2 * rng.normal() + 0.5);
  const eps = Float64Array.from({ length: n * stride * dims.dz }, () => rng.normal());
  return { x: f32 ? Float32Array.from(x) : Float64Array.from(x), eps };
}

function same(p: LinearVaeParams, opts: IwaeDrawOptions): void {
  const port = iwaeDraw(p, opts, zeroParams(opts.dims));
  const js = iwaeDrawJs(p, opts, zeroParams(opts.dims));
  expect(Object.is(port.value, js.value), `value ${port.value} vs ${js.value}`).toBe(true);
  for (const k of ['W', 'b', 'V', 'c', 's'] as const) {
    port.grad[k].forEach((v, i) => expect(Object.is(v, js.grad[k][i]), `${k}[${i}]: ${v} vs ${js.grad[k][i]}`).toBe(true));
  }
}

describe('IWAE reference port: one draw of the bound and its gradient over a data set', () => {
  it('runs here as WebAssembly, and VAE_CLAIMS_IWAE_ORACLE=js turns it off', () => {
    expect(iwaeOracleImplementation()).toBe('wasm-simd');
    process.env.VAE_CLAIMS_IWAE_ORACLE = 'js';
    try {
      expect(iwaeOracleImplementation()).toBe('js');
    } finally {
      delete process.env.VAE_CLAIMS_IWAE_ORACLE;
    }
  });

  for (const dims of [{ dx: 10, dz: 3 }, { dx: 5, dz: 2 }, { dx: 1, dz: 1 }]) {
    for (const encoderGradient of ['iwae', 'dreg'] as const) {
      it(`equals the JavaScript bitwise at dx = ${dims.dx}, dz = ${dims.dz}, ${encoderGradient} gradient: K = 1, 5 (stride 8), tempered weights, σ_x = 0.7`, () => {
        const p = params(dims, dims.dx + dims.dz);
        for (const [K, stride, f32] of [[1, 1, true], [5, 8, false], [9, 9, true]] as const) {
          const { x, eps } = inputs(dims, 13, stride, K, f32);
          same(p, { dims, sigmaX: 0.7, x, n: 13, K, eps, stride, encoderGradient });
          same(p, { dims, sigmaX: 1.3, x, n: 13, K, eps, stride, encoderGradient, normalisation: { kind: 'tempered', power: 0.5 } });
        }
      });
    }
  }

  it('equals it on parameters from tiny to overflowing (infinite and NaN weights)', () => {
    const dims = { dx: 10, dz: 3 };
    const { x, eps } = inputs(dims, 7, 4, 3, true);
    for (const scale of [1e-20, 20, 1e3, 1e200]) same(params(dims, 5, scale), { dims, sigmaX: 1, x, n: 7, K: 4, eps });
    const p = params(dims, 6);
    p.s[1] = 1500;
    same(p, { dims, sigmaX: 1, x, n: 7, K: 4, eps });
  });

  it('equals it on random shapes, K, strides and σ_x', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: 0.2, max: 3, noNaN: true }), fc.boolean(), fc.integer({ min: 0, max: 1000 }), (dx, dz, K, extra, n, sigmaX, dreg, seed) => {
        const dims = { dx, dz };
        const { x, eps } = inputs(dims, n, K + extra, seed, seed % 2 === 0);
        same(params(dims, seed), { dims, sigmaX, x, n, K, eps, stride: K + extra, encoderGradient: dreg ? 'dreg' : 'iwae' });
      }),
      { numRuns: 80, seed: 20261202 },
    );
  });

  it('iwaeDecoderBlocks: equals its JavaScript bitwise (biases, gaps, anchor) over levels, the control variate and tempered weights', () => {
    for (const [dims, Ks, n] of [[{ dx: 10, dz: 3 }, [1, 2, 4, 8, 16], 7], [{ dx: 5, dz: 2 }, [2, 6, 12], 5], [{ dx: 3, dz: 1 }, [1], 4], [{ dx: 4, dz: 3 }, [3, 9], 3]] as const) {
      const p = params(dims, dims.dx * 7 + Ks.length, 0.4);
      const Kmax = Ks[Ks.length - 1];
      const { x, eps } = inputs(dims, n, Kmax, Kmax + n, true);
      for (const sigmaX of [0.6, 1.1]) {
        const v = sigmaX * sigmaX;
        const exact = pointwiseLogMarginal(p.W, p.b, dims, sigmaX, x, n);
        for (const controlVariate of [true, false]) {
          for (const [normalisation, power] of [[undefined, 1], [{ kind: 'tempered', power: 0.7 } as const, 0.7]] as const) {
            const port = iwaeDecoderBlocks(p, dims, sigmaX, x, n, Ks, eps, { controlVariate, normalisation, exact });
            const js = iwaeDecoderBlocksJs(p, dims, v, x, n, Ks, eps, power, controlVariate, exact);
            port.gaps.forEach((g, l) => expect(Object.is(g, js.gaps[l]), `gap ${l}: ${g} vs ${js.gaps[l]}`).toBe(true));
            port.biases.forEach((b, l) => b.forEach((u, t) => expect(Object.is(u, js.biases[l][t]), `bias ${l}, ${t}: ${u} vs ${js.biases[l][t]}`).toBe(true)));
            expect(port.anchor === undefined).toBe(!controlVariate);
            port.anchor?.forEach((u, t) => expect(Object.is(u, js.anchor![t]), `anchor ${t}`).toBe(true));
          }
        }
      }
    }
  });
});
