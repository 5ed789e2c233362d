/**
 * Mutants for the iwae area (see mutants/types.ts): the engine's IWAE
 * estimator (kernel and TF.js objective), the float64 reference and the
 * claims' own measurements. iwae-rate and iwae-bias both compare the engine
 * with the reference on identical draws (src/claims/convergence/shared/iwae-conformance.ts), so a
 * formula bug in either side turns them `error`; the bugs that change what is
 * optimised also turn the science `fail`.
 */
import type { Mutant } from './types.ts';

const BOTH = ['iwae-rate', 'iwae-bias'];

export const IWAE_MUTANTS: Mutant[] = [
  {
    id: 'iwae-kernel-mean-log-weight',
    kind: 'objective',
    description: "The kernel pools a point's K log-weights by their mean instead of their log-mean-exp (uniform weights): it trains the ELBO, not L_K.",
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '    for (let k = 0; k < K; k++) omega[k] /= total;\n    return maxLogW + Math.log(total) - Math.log(K);',
    replace: '    let meanLogW = 0;\n    for (let k = 0; k < K; k++) {\n      omega[k] = 1 / K;\n      meanLogW += logW[k] / K;\n    }\n    return meanLogW;',
    claims: BOTH,
  },
  {
    id: 'iwae-tfjs-mean-log-weight',
    kind: 'objective',
    description: 'The TF.js objective takes the mean of the log-weights over the K samples instead of their log-sum-exp.',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: 'const lse = tf.logSumExp(logW.add(mask), 2); // [R, Bmax]',
    replace: 'const lse = logW.mean(2).add(tf.tensor1d(replicas.map((r) => Math.log(r.samples))).reshape([R, 1])); // [R, Bmax]',
    claims: BOTH,
  },
  {
    id: 'iwae-kernel-max-shift-once',
    kind: 'estimator',
    description: 'The max-shift of log-sum-exp is applied to the normaliser but forgotten in the weights: ω_k = w_k / Σ_j w_j e^{−max} (mis-normalised by e^{max}).',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '      omega[k] = Math.exp(logW[k] - maxLogW);\n      total += omega[k];',
    replace: '      omega[k] = Math.exp(logW[k]);\n      total += Math.exp(logW[k] - maxLogW);',
    claims: BOTH,
  },
  {
    id: 'iwae-tfjs-normalise-over-points',
    kind: 'estimator',
    description: 'The TF.js objective normalises the weights over the points of the batch (axis 1) instead of over the K samples (axis 2).',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: 'const lse = tf.logSumExp(logW.add(mask), 2); // [R, Bmax]',
    replace: 'const lse = tf.logSumExp(logW.add(mask), 1).mean(1, true).tile([1, sampleWeight.shape[1]]) as tf.Tensor2D; // [R, Bmax]',
    claims: BOTH,
  },
  {
    id: 'iwae-kernel-log-k-dropped',
    kind: 'estimator',
    description: 'The kernel returns log Σ_k w_k without the − log K: the reported bound exceeds log p(x) (gradients unchanged).',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '    return maxLogW + Math.log(total) - Math.log(K);',
    replace: '    return maxLogW + Math.log(total);',
    claims: BOTH,
  },
  {
    id: 'iwae-kernel-encoder-density-dropped',
    kind: 'estimator',
    description: 'The kernel forgets − log q(z|x) in the log-weights: log w = log p(x|z) + log p(z).',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '        logW[k] = -0.5 * sq / v + logNorm - 0.5 * zz + halfSumS + 0.5 * ee;',
    replace: '        logW[k] = -0.5 * sq / v + logNorm - 0.5 * zz;',
    claims: BOTH,
  },
  {
    id: 'iwae-tfjs-prior-sign',
    kind: 'objective',
    description: 'The TF.js objective adds ½‖z‖² instead of subtracting it (wrong sign of the prior term).',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '      .sub(z.square().sum(-1).mul(0.5))',
    replace: '      .add(z.square().sum(-1).mul(0.5))',
    claims: BOTH,
  },
  {
    id: 'iwae-kernel-decoder-gradient-scaled',
    kind: 'gradient',
    description: "The kernel's ∂W is 5% too large (a preconditioner in disguise: the same stationary points, so only conformance can see it).",
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '          for (let j = 0; j < dz; j++) gW[q * dz + j] += gq * z[k * dz + j];',
    replace: '          for (let j = 0; j < dz; j++) gW[q * dz + j] += 1.05 * gq * z[k * dz + j];',
    claims: BOTH,
  },
  {
    id: 'iwae-kernel-encoder-variance-gradient-half',
    kind: 'gradient',
    description: "The kernel's ∂s drops the ½ of the entropy term (ω_k(g ε e^{s/2} + 1)/2 → ω_k(g ε e^{s/2}/2 + 1)).",
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '          if (learned) gs[j] += 0.5 * om * (gk * eps[k * dz + j] * std[j] + 1);',
    replace: '          if (learned) gs[j] += om * (0.5 * gk * eps[k * dz + j] * std[j] + 1);',
    claims: ['iwae-bias'],
  },
  {
    id: 'iwae-kernel-last-row-never-drawn',
    kind: 'sampling',
    description: 'The kernel draws mini-batch rows from {0, …, n−2}: the last data point is never seen.',
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '      const row = streams.data.int(this.dataSize) * dx;',
    replace: '      const row = streams.data.int(this.dataSize - 1) * dx;',
    claims: BOTH,
  },
  {
    id: 'iwae-oracle-prior-sign',
    kind: 'oracle',
    description: "The float64 reference's log-weights add ½‖z‖² instead of subtracting it.",
    file: 'src/models/linear-vae/iwae-oracle.ts',
    find: '    logW[k] = logNorm - rr * half - 0.5 * zz + halfSumS + 0.5 * ee;',
    replace: '    logW[k] = logNorm - rr * half + 0.5 * zz + halfSumS + 0.5 * ee;',
    claims: BOTH,
  },
  {
    id: 'iwae-oracle-bias-summed-over-blocks',
    kind: 'oracle',
    description: "iwaeDecoderBlocks sums the block estimates instead of averaging them (scale 1/n, not 1/(blocks·n)): the measured bias grows like K_max/K.",
    file: 'src/models/linear-vae/iwae-oracle.ts',
    find: '      const scale = 1 / (blocks * n);',
    replace: '      const scale = 1 / n;',
    claims: ['iwae-bias'],
  },
  {
    id: 'iwae-oracle-log-marginal-gradient-b',
    kind: 'oracle',
    description: 'The exact ∇_b log p(x) is 10% short (a = C⁻¹(x − b) scaled by 0.9 in the b block). The bias estimate hardly depends on it (the control variate replaces it by its importance-sampling estimate), so iwae-bias checks it against that estimate.',
    file: 'src/models/linear-vae/iwae-oracle.ts',
    find: '      grad[o + dx * dz + i] = a[i];',
    replace: '      grad[o + dx * dz + i] = 0.9 * a[i];',
    claims: ['iwae-bias'],
  },
  {
    id: 'iwae-rate-antithetic-pair-summed',
    kind: 'estimator',
    description: "iwae-rate's reference sums the antithetic pair instead of averaging it: every measured ∇L_K is doubled (slopes are scale-free).",
    file: 'src/claims/convergence/shared/iwae-conformance.ts',
    find: '  for (let i = 0; i < out.length; i++) out[i] = 0.5 * (out[i] + a[i]);',
    replace: '  for (let i = 0; i < out.length; i++) out[i] = out[i] + a[i];',
    claims: ['iwae-rate'],
  },
];

// ---------------------------------------------------------------------------
// biased-sa-rate (branch biased-sa): the engine's samples schedule K_k, the
// fixed-encoder IWAE model (kernel and TF.js) and the exact ∇_θ log p.
// ---------------------------------------------------------------------------
const BIASED_SA_MUTANTS: Mutant[] = [
  {
    id: 'biased-sa-schedule-ignored',
    kind: 'sampling',
    description: "The kernel trainer ignores a replica's samples schedule and steps with its fixed `samples` K (= ⌈K0⌉) at every step.",
    file: 'src/engine/kernel-trainer.ts',
    find: 'const replica = this.replicas[r].samplesSchedule ? { ...this.replicas[r], samples: samplesAt(this.replicas[r], k) } : this.replicas[r];',
    replace: 'const replica = this.replicas[r];',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-schedule-floor',
    kind: 'sampling',
    description: 'The samples schedule rounds K0·k^a down instead of up (⌊·⌋ for ⌈·⌉): K_k one smaller at most steps.',
    file: 'src/engine/replica.ts',
    find: 'return Math.min(q.Kmax, Math.ceil(q.K0 * Math.pow(k, q.a)));',
    replace: 'return Math.min(q.Kmax, Math.max(1, Math.floor(q.K0 * Math.pow(k, q.a))));',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-schedule-half-exponent',
    kind: 'sampling',
    description: 'The samples schedule grows like k^{a/2} instead of k^a (the exponent halved).',
    file: 'src/engine/replica.ts',
    find: 'return Math.min(q.Kmax, Math.ceil(q.K0 * Math.pow(k, q.a)));',
    replace: 'return Math.min(q.Kmax, Math.ceil(q.K0 * Math.pow(k, q.a / 2)));',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-kernel-fixed-encoder-offset-dropped',
    kind: 'gradient',
    description: "The kernel's fixed encoder mean drops its offset c (μ = V x instead of V x + c): the gradient is that of another q.",
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: '    const encoder = fm ?? params;',
    replace: '    const encoder = fm ? { V: fm.V, c: new Float32Array(fm.c.length) } : params;',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-tfjs-fixed-encoder-offset-dropped',
    kind: 'gradient',
    description: "The TF.js objective's fixed encoder mean drops its offset c (zeros in place of c).",
    file: 'src/models/linear-vae/iwae-engine-model.ts',
    find: 'const c = fm ? tf.tensor2d(fm.c, [1, dz]).tile([R, 1]) : (params.c as tf.Tensor2D); // [R, dz]',
    replace: 'const c = fm ? (tf.zeros([R, dz]) as tf.Tensor2D) : (params.c as tf.Tensor2D); // [R, dz]',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-oracle-log-marginal-w-term-dropped',
    kind: 'oracle',
    description: 'The exact ∇_W log p(x) drops its −C⁻¹W term (a aᵀW only): every measured ‖∇_θ log p‖² is of a wrong gradient.',
    file: 'src/models/linear-vae/iwae-oracle.ts',
    find: 'for (let j = 0; j < dz; j++) grad[o + i * dz + j] = a[i] * aW[j] - CinvW[i * dz + j];',
    replace: 'for (let j = 0; j < dz; j++) grad[o + i * dz + j] = a[i] * aW[j];',
    claims: ['biased-sa-rate'],
  },
  {
    id: 'biased-sa-measured-one-row',
    kind: 'estimator',
    description: "biased-sa-rate's measured ‖∇_θ log p‖² is of the first data row's log-likelihood, not of the average over the N rows.",
    file: 'src/claims/convergence/biased-sa-rate.check.ts',
    find: '{ dx: c.data.dx, dz: c.data.dz }, c.sigmaX, x, c.data.n);',
    replace: '{ dx: c.data.dx, dz: c.data.dz }, c.sigmaX, x, 1);',
    claims: ['biased-sa-rate'],
  },
];
IWAE_MUTANTS.push(...BIASED_SA_MUTANTS);
