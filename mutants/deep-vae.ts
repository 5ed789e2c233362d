/**
 * Mutants for the deep (soft-clipped MLP) Gaussian VAE (see mutants/types.ts):
 * the engine's model (activations, decoder variance, KL, reparameterisation,
 * a bias left out), its trainer (Adam, schedule), its sampler, the float64
 * reference and the measurement. Each must turn adam-rate-deep-vae red; the
 * last group (plain SGD on the closed-form kernel) must turn sgd-rate-deep-vae red.
 */
import type { Mutant } from './types.ts';

const CLAIM = ['adam-rate-deep-vae'];
const ENGINE = 'src/models/deep-vae/engine-model.ts';
const SGD_CLAIM = ['sgd-rate-deep-vae'];
const KERNEL = 'src/models/deep-vae/kernel.ts';

export const DEEP_VAE_MUTANTS: Mutant[] = [
  {
    id: 'deep-vae-engine-output-hidden-range',
    kind: 'objective',
    description: "The engine clips the decoder's mean with the hidden layers' range [0, 50] instead of [−50, 50] (a copy-paste of the activation).",
    file: ENGINE,
    find: 'const meanAct = (t: tf.Tensor) => act(t, MEAN_RANGE, (u) => u);',
    replace: 'const meanAct = (t: tf.Tensor) => act(t, HIDDEN_RANGE, (u) => u);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-engine-softclip-sharpness',
    kind: 'objective',
    description: "The engine's generalised soft-clipping uses sharpness s = 2.5 instead of the paper's 5.",
    file: ENGINE,
    find: 'export function softClipTensor(x: tf.Tensor, range: ClipRange | ColumnRanges, s = SOFT_CLIP_SHARPNESS): tf.Tensor {',
    replace: 'export function softClipTensor(x: tf.Tensor, range: ClipRange | ColumnRanges, s = SOFT_CLIP_SHARPNESS / 2): tf.Tensor {',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-engine-decoder-std-as-variance',
    kind: 'objective',
    description: 'The engine objective uses c where the decoder variance c² belongs.',
    file: ENGINE,
    find: 'const v = this.decoderStd * this.decoderStd;',
    replace: 'const v = this.decoderStd;',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-engine-kl-drops-log-variance',
    kind: 'objective',
    description: "The engine's closed-form KL drops its −log σ² term.",
    file: ENGINE,
    find: 'const kl = lv.exp().add(mu.square()).sub(1).sub(lv).sum(-1).mul(0.5);',
    replace: 'const kl = lv.exp().add(mu.square()).sub(1).sum(-1).mul(0.5);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-engine-reparam-variance',
    kind: 'objective',
    description: 'The reparameterisation scales the noise by the variance e^{log σ²} instead of the standard deviation.',
    file: ENGINE,
    find: 'lv.mul(0.5).exp().expandDims(2).mul(eps)',
    replace: 'lv.exp().expandDims(2).mul(eps)',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-engine-decoder-bias-untrained',
    kind: 'gradient',
    description: "The decoder's hidden layer ignores its bias b2 (never used, so never trained).",
    file: ENGINE,
    find: 'const h2 = hiddenAct(dense(z, W2, b2)) as tf.Tensor3D;',
    replace: 'const h2 = hiddenAct(dense(z, W2, b2.mul(0))) as tf.Tensor3D;',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-reference-missing-hidden-derivative',
    kind: 'oracle',
    description: "The float64 reference's backward pass through the decoder's hidden layer forgets the activation's derivative (∂b2, ∂W2 and everything below wrong).",
    file: 'src/models/deep-vae/reference.ts',
    find: 'const dd = da2[h] * h2[2 * h + 1];',
    replace: 'const dd = da2[h];',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-reference-softclip-derivative-chain',
    kind: 'oracle',
    description: "The float64 reference's soft-clip derivative multiplies by s (a chain-rule slip): every activation's derivative is 5x too large.",
    file: 'src/models/deep-vae/soft-clip.ts',
    find: 'out[at + 1] = sg1 - sg2;',
    replace: 'out[at + 1] = s * (sg1 - sg2);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-adam-second-moment-uncorrected',
    kind: 'optimizer',
    description: "The TF.js trainer's Adam corrects the first moment's bias but not the second's.",
    file: 'src/engine/optimizer.ts',
    find: 'const update = m.div(c1).div(v.div(c2).sqrt().add(epsilon));',
    replace: 'const update = m.div(c1).div(v.sqrt().add(epsilon));',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-schedule-half-exponent',
    kind: 'schedule',
    description: 'The engine steps with C·k^(-α/2): k^(-1/4) where the claim says k^(-1/2).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(k, -alpha / 2);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-sampler-last-latent-noise-missing',
    kind: 'sampling',
    description: 'The reparameterised batch fills all but the last latent coordinate with noise (its ε stays 0): a biased stochastic gradient.',
    file: 'src/engine/minibatch.ts',
    find: 'streams[r].noise.fillNormal(eps, ((r * Bmax + i) * Kmax + j) * dz, dz);',
    replace: 'streams[r].noise.fillNormal(eps, ((r * Bmax + i) * Kmax + j) * dz, dz - 1);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-minibatch-last-row-never',
    kind: 'sampling',
    description: 'The mini-batch sampler draws rows from {0, …, N−2}: the last data point is never used (the stochastic gradient is biased by ~1% of one point\'s gradient).',
    file: 'src/engine/minibatch.ts',
    find: 'const row = streams[r].data.int(dataSize);',
    replace: 'const row = streams[r].data.int(dataSize - 1);',
    claims: CLAIM,
  },
  {
    id: 'deep-vae-measure-wrong-activation',
    kind: 'estimator',
    description: "The ‖∇L‖² measurement evaluates the ReLU network's gradient at the soft-clipped network's parameters.",
    file: 'src/claims/convergence/adam-rate-deep-vae.check.ts',
    find: 'const o = { dims, activation: activation[r], decoderStd: base.decoderStd, x: x64, n, K: 2 };',
    replace: "const o = { dims, activation: 'relu' as const, decoderStd: base.decoderStd, x: x64, n, K: 2 };",
    claims: CLAIM,
  },
  // The float64 reference's JavaScript with its WebAssembly port ON (`ports: true`): the port measures
  // unmutated, so only the claims' run-time comparison of the two (referencePortCheck) can catch these.
  {
    id: 'deep-vae-reference-port-kl-logvar-gradient-no-half',
    kind: 'oracle',
    description:
      "The float64 reference's KL gradient in the log-variance drops the ½ (−β(σ² − 1) instead of −½β(σ² − 1)). Runs with the ports on: the reference's WebAssembly port computes the unmutated gradient, so the claims' run-time comparison of port and JavaScript must catch it.",
    file: 'src/models/deep-vae/reference.ts',
    find: 'dlv[j] = -0.5 * beta * (sd[j] * sd[j] - 1);',
    replace: 'dlv[j] = -beta * (sd[j] * sd[j] - 1);',
    claims: [...CLAIM, ...SGD_CLAIM],
    ports: true,
  },
  {
    id: 'deep-vae-reference-port-residual-sign',
    kind: 'oracle',
    description:
      "The float64 reference's decoder residual has the wrong sign (G(z) − x instead of x − G(z)): the reconstruction's gradient descends where it should ascend, its value unchanged. Runs with the ports on (see deep-vae-reference-port-kl-logvar-gradient-no-half).",
    file: 'src/models/deep-vae/reference.ts',
    find: 'const r = x[xo + i] - outAct[0];',
    replace: 'const r = outAct[0] - x[xo + i];',
    claims: [...CLAIM, ...SGD_CLAIM],
    ports: true,
  },
  {
    id: 'deep-vae-reference-port-reparam-logvar-no-half',
    kind: 'oracle',
    description:
      "The float64 reference's reparameterisation gradient in the log-variance forgets the ½ of ∂z/∂lv = ½ e^{lv/2} ε. Runs with the ports on (see deep-vae-reference-port-kl-logvar-gradient-no-half).",
    file: 'src/models/deep-vae/reference.ts',
    find: 'dlv[j] += dzj * 0.5 * sd[j] * eps[eo + j];',
    replace: 'dlv[j] += dzj * sd[j] * eps[eo + j];',
    claims: [...CLAIM, ...SGD_CLAIM],
    ports: true,
  },
  // Plain SGD on the deep VAE's closed-form kernel (what sgd-rate-deep-vae trains with; mutants/run.ts forces the JavaScript kernel, so the WebAssembly port does not bypass these).
  {
    id: 'sgd-deep-vae-kernel-kl-mean-gradient-doubled',
    kind: 'gradient',
    description: "The deep VAE kernel's KL gradient with respect to the encoder mean is −2βμ/B instead of −βμ/B (the ½ of the KL forgotten in its derivative only).",
    file: KERNEL,
    find: 'gHead[j] = -(beta / B) * mu;',
    replace: 'gHead[j] = -(2 * beta / B) * mu;',
    claims: SGD_CLAIM,
  },
  {
    id: 'sgd-deep-vae-kernel-reparam-log-variance-factor',
    kind: 'gradient',
    description: "The deep VAE kernel's reparameterisation gradient with respect to the log-variance drops the ½ of ∂z/∂lv = ½ e^{lv/2} ε.",
    file: KERNEL,
    find: 'gHead[dz + j] += gz[j] * 0.5 * sd[j] * drawn.eps[eo + j];',
    replace: 'gHead[dz + j] += gz[j] * sd[j] * drawn.eps[eo + j];',
    claims: SGD_CLAIM,
  },
  {
    id: 'sgd-deep-vae-kernel-trainer-constant-step',
    kind: 'schedule',
    description: 'The kernel trainer evaluates the schedule at k = 1 on every step: a constant step C.',
    file: 'src/engine/kernel-trainer.ts',
    find: 'gamma = stepSize(schedule, k);',
    replace: 'gamma = stepSize(schedule, 1);',
    claims: SGD_CLAIM,
  },
  {
    id: 'sgd-deep-vae-kernel-sgd-descent',
    kind: 'optimizer',
    description: "The kernel trainer's SGD descends the ELBO instead of ascending it.",
    file: 'src/engine/kernel-optimizer.ts',
    find: 'for (let i = 0; i < g.length; i++) p[o + i] += gamma * g[i];',
    replace: 'for (let i = 0; i < g.length; i++) p[o + i] -= gamma * g[i];',
    claims: SGD_CLAIM,
  },
];
