/**
 * The dense layers of the Gaussian VAE's float64 evaluation (evaluate.ts) as a
 * WebAssembly SIMD port, wasm/dense.as.ts (f64x2): the same outputs bit for bit as
 * evaluate.ts's denseJs, its specification (test/entropy/gaussian-vae-evaluate-wasm.test.ts
 * compares whole diagnoses with Object.is), so switching between the two changes no
 * result. Why: at the full tier (D = 196, 64 hidden units) the evaluation at every
 * checkpoint of every replica was a third of entropy-gaussian-vae's run, nearly all of it
 * in these products, one multiply-add at a time.
 *
 * One module instance and memory per process, grown on demand: the parameters (widened to
 * float64, exact), the rows and the layer outputs live there, and diagnoseGaussianVae
 * reads the outputs through views. Where the binary cannot load (no WebAssembly SIMD,
 * missing file), or VAE_CLAIMS_GAUSSIAN_EVAL_KERNEL=js (the mutation suite sets it, so a
 * mutant of denseJs is not bypassed), the JavaScript layers run.
 */
import { align16, growTo, wasmKernelBinary, WASM_BASE, type KernelImplementation } from '../../engine/wasm-kernel.ts';
import type { GaussianVaeArch, GaussianVaeParams } from './params.ts';

interface DenseExports {
  dense(xAt: number, rows: number, wAt: number, bAt: number, cols: number, outAt: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/dense.wasm', import.meta.url), 'VAE_CLAIMS_GAUSSIAN_EVAL_KERNEL', { name: 'gaussian-vae-dense', source: new URL('./wasm/dense.as.ts', import.meta.url) });

/** Which implementation the Gaussian VAE's evaluation layers run by default here. */
export function gaussianEvalImplementation(): KernelImplementation {
  return binary.implementation();
}

/** The layers one diagnosis runs, and the arrays they write (each overwritten by its layer). */
export interface EvalLayers {
  h: Float64Array;
  nu: Float64Array;
  lv: Float64Array;
  z: Float64Array;
  g: Float64Array;
  f: Float64Array;
  /** h = tanh(x_n We1 + be1); ν = h Wmu + bmu; log τ² = h Wlv + blv (before the latent scales). */
  encode(n: number): void;
  /** g = tanh(z Wd1 + bd1); f = g Wd2 + bd2. */
  decode(): void;
}

const LAYERS = [
  ['We1', 'be1'],
  ['Wmu', 'bmu'],
  ['Wlv', 'blv'],
  ['Wd1', 'bd1'],
  ['Wd2', 'bd2'],
] as const;

let instance: { exports: DenseExports; memory: WebAssembly.Memory } | null = null;

/** The port's layers for one diagnosis, or null where the JavaScript layers must run. */
export function wasmEvalLayers(p: GaussianVaeParams, arch: GaussianVaeArch, x: ArrayLike<number>, N: number): EvalLayers | null {
  const module = binary.module();
  if (module === null) return null;
  if (instance === null) {
    const memory = new WebAssembly.Memory({ initial: 1 });
    instance = { exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as DenseExports, memory };
  }
  const { exports, memory } = instance;
  const { D, hidden: Hd, latent: H } = arch;
  // Layout (bytes, each block 16-aligned): the layers' W and b, the rows, then h, ν, log τ², z, g, f.
  let at = WASM_BASE;
  const place = (length: number): number => {
    const here = at;
    at += align16(8 * length);
    return here;
  };
  const params = LAYERS.map(([W, b]) => ({ W: place(p[W].length), b: place(p[b].length), from: [p[W], p[b]] as const }));
  const xAt = place(N * D);
  const outs = { h: place(Hd), nu: place(H), lv: place(H), z: place(H), g: place(Hd), f: place(D) };
  try {
    growTo(memory, at);
  } catch (e) {
    if (e instanceof RangeError) return null; // wasm32's 4 GiB: the JavaScript layers
    throw e;
  }
  const f64 = new Float64Array(memory.buffer);
  for (const q of params) {
    f64.set(q.from[0], q.W / 8);
    f64.set(q.from[1], q.b / 8);
  }
  f64.set(x, xAt / 8);
  const view = (offset: number, length: number) => f64.subarray(offset / 8, offset / 8 + length);
  const h = view(outs.h, Hd);
  const g = view(outs.g, Hd);
  const [e1, mu, lv, d1, d2] = params;
  return {
    h,
    nu: view(outs.nu, H),
    lv: view(outs.lv, H),
    z: view(outs.z, H),
    g,
    f: view(outs.f, D),
    encode(n: number): void {
      exports.dense(xAt + 8 * n * D, D, e1.W, e1.b, Hd, outs.h);
      for (let j = 0; j < Hd; j++) h[j] = Math.tanh(h[j]);
      exports.dense(outs.h, Hd, mu.W, mu.b, H, outs.nu);
      exports.dense(outs.h, Hd, lv.W, lv.b, H, outs.lv);
    },
    decode(): void {
      exports.dense(outs.z, H, d1.W, d1.b, Hd, outs.g);
      for (let j = 0; j < Hd; j++) g[j] = Math.tanh(g[j]);
      exports.dense(outs.g, Hd, d2.W, d2.b, D, outs.f);
    },
  };
}
