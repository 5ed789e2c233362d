/**
 * The wide ReLU network's loss gradient between its two matrix products, in one WebAssembly
 * module (wasm/wide-relu-loss.as.ts) working on the backend's own tensors: the ten elementwise
 * ops and three sums of WideReluBatch.lossGradientsOps (the specification), which at the NTK
 * claims' sizes ([32, R·m] tensors, R·m up to 163,840) were a third of a gradient-descent step,
 * each a full pass over memory. Bit for bit the ops' results (test/ntk/wide-relu-loss.test.ts),
 * so which one runs changes no result; the claims' own gradient probe (tf.grads against
 * lossGradients) still checks whichever runs.
 *
 * Runs on the 'wasm' backend when the module loads; elsewhere, or with
 * VAE_CLAIMS_WIDE_RELU_LOSS_KERNEL=js (the mutation suite's setting for mutants of the ops), the
 * ops run.
 */
import * as tf from '@tensorflow/tfjs';
import { backendModule, backendOutput, tensorAt } from '../../engine/wasm-backend.ts';
import { wasmKernelBinary, type KernelImplementation } from '../../engine/wasm-kernel.ts';

interface LossExports {
  passA(hAt: number, bAt: number, aAt: number, b0At: number, yAt: number, n: number, R: number, m: number, fAt: number, gAt: number): void;
  passB(hAt: number, bAt: number, aAt: number, gAt: number, n: number, R: number, m: number, dHAt: number, gbAt: number, gaAt: number): void;
}

const binary = wasmKernelBinary(new URL('./wasm/wide-relu-loss.wasm', import.meta.url), 'VAE_CLAIMS_WIDE_RELU_LOSS_KERNEL', { name: 'wide-relu-loss', source: new URL('./wasm/wide-relu-loss.as.ts', import.meta.url) });

/** The module in the current 'wasm' backend's memory, or null (another backend, no module, or the switch says js). */
const port = backendModule<LossExports>(binary);

/** Which runs where the backend is 'wasm': the module ('wasm-simd') or the TensorFlow.js ops ('js'). */
export function wideReluLossImplementation(): KernelImplementation {
  return binary.implementation();
}

export interface WideReluLossInputs {
  /** Inputs X [n, d] and first-layer weights W [d, R·m]: H = X·W (before the bias) is the backend's product. */
  X: tf.Tensor2D;
  W: tf.Tensor;
  /** b, a [1, R·m]; b0 [1, R]; y [n, 1]: float32. */
  b: tf.Tensor;
  a: tf.Tensor;
  b0: tf.Tensor;
  y: tf.Tensor;
  R: number;
  m: number;
}

/**
 * f [n, R], ∂H [n, R·m], ∂b and ∂a [1, R·m] and g = (f − y)/n [n, R] by the module, or null
 * where it does not run (the caller runs the ops). New tensors, tracked by the enclosing tidy.
 */
export function wideReluLoss(inp: WideReluLossInputs): { f: tf.Tensor2D; g: tf.Tensor2D; dH: tf.Tensor2D; gb: tf.Tensor2D; ga: tf.Tensor2D } | null {
  const ex = port();
  if (ex === null) return null;
  const { X, W, b, a, b0, y, R, m } = inp;
  for (const t of [X, W, b, a, b0, y]) if (t.dtype !== 'float32') return null;
  const H = tf.matMul(X, W as tf.Tensor2D);
  const n = H.shape[0];
  const [f, g, dH, gb, ga] = [[n, R], [n, R], [n, R * m], [1, R * m], [1, R * m]].map(backendOutput);
  const [hAt, bAt, aAt] = [tensorAt(H), tensorAt(b), tensorAt(a)];
  ex.passA(hAt, bAt, aAt, tensorAt(b0), tensorAt(y), n, R, m, f.at, g.at);
  ex.passB(hAt, bAt, aAt, g.at, n, R, m, dH.at, gb.at, ga.at);
  const t = (o: { tensor: tf.Tensor }) => o.tensor as tf.Tensor2D;
  return { f: t(f), g: t(g), dH: t(dH), gb: t(gb), ga: t(ga) };
}
