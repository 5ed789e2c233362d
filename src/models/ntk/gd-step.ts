/**
 * runGradientDescent's update of one stored weight tensor, p ← p − (g·κ [+ (p − p̄)·λ]), in one
 * pass (wasm/gd-step.as.ts) instead of two to five TensorFlow.js elementwise ops, each a pass
 * over [rows, R·m] (the NTK claims' first layer: [32, R·m]). Bit for bit the ops (gd.ts keeps
 * them, the specification, where the module does not run: another backend, coefficients that
 * are not one row [1, cols], or VAE_CLAIMS_GD_STEP_KERNEL=js, the mutation suite's setting).
 */
import * as tf from '@tensorflow/tfjs';
import { backendModule, backendOutput, tensorAt } from '../../engine/wasm-backend.ts';
import { wasmKernelBinary, type KernelImplementation } from '../../engine/wasm-kernel.ts';

interface StepExports {
  update(pAt: number, gAt: number, kAt: number, anchorAt: number, lAt: number, ridge: number, rows: number, cols: number, outAt: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/gd-step.wasm', import.meta.url), 'VAE_CLAIMS_GD_STEP_KERNEL', { name: 'gd-step', source: new URL('./wasm/gd-step.as.ts', import.meta.url) });
const port = backendModule<StepExports>(binary);

/** Which runs where the backend is 'wasm': the module ('wasm-simd') or the ops ('js'). */
export function gdStepImplementation(): KernelImplementation {
  return binary.implementation();
}

/**
 * The updated weights as a new tensor (tracked by the enclosing tidy), or null where the
 * module does not run. p and g [rows, cols] (or [cols]), κ and λ [1, cols], p̄ like p.
 */
export function gdStep(p: tf.Tensor, g: tf.Tensor, gradCoef: tf.Tensor, ridge: { anchor: tf.Tensor; coef: tf.Tensor } | null): tf.Tensor | null {
  const ex = port();
  if (ex === null || p.rank > 2 || p.rank < 1) return null;
  const cols = p.shape[p.rank - 1];
  const rows = p.size / Math.max(cols, 1);
  const row = (t: tf.Tensor) => t.dtype === 'float32' && t.size === cols && t.shape[t.rank - 1] === cols;
  const like = (t: tf.Tensor) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, p.shape);
  if (!like(p) || !like(g) || !row(gradCoef) || (ridge !== null && (!like(ridge.anchor) || !row(ridge.coef))) || p.size === 0) return null;
  const out = backendOutput(p.shape);
  ex.update(tensorAt(p), tensorAt(g), tensorAt(gradCoef), ridge ? tensorAt(ridge.anchor) : 0, ridge ? tensorAt(ridge.coef) : 0, ridge ? 1 : 0, rows, cols, out.at);
  return out.tensor;
}
