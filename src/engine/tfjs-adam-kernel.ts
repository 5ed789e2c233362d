/**
 * The TF.js trainer's bias-corrected Adam step (optimizer.ts's Adam) fused into one pass
 * per parameter on the WebAssembly backend: wasm/tfjs-adam.as.ts does the op chain's
 * float32 operations in the same order, bit for bit (see there). Why: the chain is 14
 * TensorFlow.js ops per parameter per step, each a kernel call with its own output,
 * about a fifth of entropy-vae-variants' run.
 *
 * fusedAdamStep returns the new m, v and θ, or null where the fused step cannot run
 * (another backend, the binary cannot load, VAE_CLAIMS_TFJS_ADAM_KERNEL=js — the mutation
 * suite sets it, so a mutant of the op chain is not bypassed): the caller then runs the
 * op chain. optimizer.ts also runs the op chain beside the fused step at a few early and
 * then log-spaced steps and requires the same bits (test/engine/tfjs-adam-kernel.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { instantiateInBackend, internals, offsetOf } from './wasm-backend.ts';
import { wasmKernelBinary, type KernelImplementation } from './wasm-kernel.ts';

interface AdamExports {
  adamStep(pAt: number, gAt: number, mAt: number, vAt: number, gammaAt: number, pOut: number, mOut: number, vOut: number, R: number, per: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, eps: number): void;
}

/** The float32 scalars of the op chain (Math.fround of what it converts to scalar tensors). */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^k and 1 − β2^k (float64, as the chain computes them before it converts). */
  c1: number;
  c2: number;
}

const KERNEL = 'VaeClaimsAdamStep';
const binary = wasmKernelBinary(new URL('./wasm/tfjs-adam.wasm', import.meta.url), 'VAE_CLAIMS_TFJS_ADAM_KERNEL', { name: 'tfjs-adam', source: new URL('./wasm/tfjs-adam.as.ts', import.meta.url) });

let registered: boolean | null = null;

let boundMemory: WebAssembly.Memory | null = null;

function register(): boolean {
  if (registered !== null) return registered;
  const module = binary.module();
  if (module === null || tf.findBackend('wasm') === undefined) return (registered = false);
  const { exports, memory } = instantiateInBackend<AdamExports>(module);
  boundMemory = memory;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { p, g, m, v, gamma } = inputs as Record<string, tf.TensorInfo>;
      const s = attrs as unknown as AdamScalars;
      const be = internals(backend);
      const at = (t: tf.TensorInfo) => offsetOf(be, t);
      const R = p.shape[0];
      const per = tf.util.sizeFromShape(p.shape) / R;
      const outs = [be.makeOutput(p.shape, 'float32'), be.makeOutput(p.shape, 'float32'), be.makeOutput(p.shape, 'float32')];
      const f = Math.fround;
      exports.adamStep(at(p), at(g), at(m), at(v), at(gamma), at(outs[2]), at(outs[0]), at(outs[1]), R, per, f(s.beta1), f(1 - s.beta1), f(s.beta2), f(1 - s.beta2), f(s.c1), f(s.c2), f(s.epsilon));
      return outs; // m', v', θ'
    },
  });
  return (registered = true);
}

/** Whether the TF.js trainer's Adam runs fused here (the wasm backend active, and the one the module was bound to). */
export function tfjsAdamImplementation(): KernelImplementation {
  if (tf.getBackend() !== 'wasm' || binary.module() === null || !register()) return 'js';
  return internals(tf.backend()).wasm.asm.memory === boundMemory ? 'wasm-simd' : 'js';
}

/**
 * One fused Adam step for parameter p ([R, …]; gamma [R]): [m', v', θ'], or null where the op
 * chain must run. The caller asks tfjsAdamImplementation() once per step, not per parameter.
 */
export function fusedAdamStep(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, gamma: tf.Tensor1D, s: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if ([p, g, m, v, gamma].some((t) => t.dtype !== 'float32') || p.rank < 1 || gamma.size !== p.shape[0]) return null;
  if (!tf.util.arraysEqual(p.shape, g.shape) || !tf.util.arraysEqual(p.shape, m.shape) || !tf.util.arraysEqual(p.shape, v.shape)) return null;
  return tf.engine().runKernel(KERNEL, { p, g, m, v, gamma }, { ...s } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
