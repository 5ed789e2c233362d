/**
 * Probe mutants: realistic bugs written blind (by someone who had not read the
 * checks) to look for blind spots of the claims. Of the first 16, 14 survived
 * the claims as they were; each survivor led to a new self-check, and every
 * one of these is now caught. Each targets a place the other areas do not mutate: replica seeding,
 * optimiser defaults, the measurement's reductions and windows, statistics
 * outside the self-check, falsifier plumbing, entropy and NTK helpers.
 */
import type { Mutant } from './types.ts';

export const PROBE_MUTANTS: Mutant[] = [
  {
    id: 'probe-rate-replica-seed-index-dropped',
    kind: 'sampling',
    description: 'The linear-VAE rate run derives every replica\'s seed from seed index 0 (the loop variable s dropped): the S "seeds" are one trajectory S times, the bootstrap over seeds has no spread.',
    file: 'src/claims/convergence/shared/linear-vae-rate.ts',
    find: "        seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),",
    replace: "        seed: deriveSeed(ctx.masterSeed, claimId, 'seed', 0),",
    claims: ['sgd-rate-linear-vae'],
  },
  {
    id: 'probe-adam-default-beta2',
    kind: 'optimizer',
    description: 'ADAM_DEFAULTS has β2 = 0.99 where the claim (and Kingma & Ba) say 0.999; the optimiser probe replays the same wrong constant.',
    file: 'src/engine/optimizer.ts',
    find: "export const ADAM_DEFAULTS = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;",
    replace: "export const ADAM_DEFAULTS = { kind: 'adam', beta1: 0.9, beta2: 0.99, epsilon: 1e-8 } as const;",
    claims: ['adam-rate-linear-vae'],
    harmless:
      'No claim reads ADAM_DEFAULTS any more: each Adam claim states Kingma & Ba\'s constants (0.9, 0.999, 1e-8) in its own file, so a wrong library default cannot change what a claim tests (it is the public API\'s default only, checked by its unit test).',
  },
  {
    id: 'probe-squared-norm-drops-log-variance-block',
    kind: 'estimator',
    description: 'squaredNorm of the exact gradient leaves out the encoder log-variance block s (a reduction over the wrong set of blocks): G_n measures part of ‖∇L‖².',
    file: 'src/models/linear-vae/oracle.ts',
    find: '  for (const block of [g.W, g.b, g.V, g.c, g.s]) {',
    replace: '  for (const block of [g.W, g.b, g.V, g.c]) {',
    claims: ['sgd-rate-linear-vae'],
  },
  {
    id: 'probe-falsifier-bias-overwritten',
    kind: 'gradient',
    description: 'The biased-gradient falsifier adds δ to ∂b BEFORE calling the model\'s kernel, which zeroes the gradient buffers: the kernel path (what the claim trains) carries no bias at all.',
    file: 'src/claims/convergence/shared/falsifier-models.ts',
    find: `    const value = super.objectiveAndGradient(params, replica, streams, grad);
    let sum = 0;
    for (let q = 0; q < grad.b.length; q++) {
      grad.b[q] += this.bias;
      sum += params.b[q];
    }
    return value + this.bias * sum;`,
    replace: `    let sum = 0;
    for (let q = 0; q < grad.b.length; q++) {
      grad.b[q] += this.bias;
      sum += params.b[q];
    }
    const value = super.objectiveAndGradient(params, replica, streams, grad);
    return value + this.bias * sum;`,
    claims: ['sgd-rate-linear-vae'],
  },
  {
    id: 'probe-ntk-width-slope-logs-before-seed-average',
    kind: 'statistics',
    description: 'The NTK width slope\'s point statistic (slopeOfMeans, local to the NTK claims and outside the runtime statistics self-check) averages log e over seeds: E[log] instead of log E, against CLAIMS.md\'s convention.',
    file: 'src/stats/width-slope.ts',
    // Text as of 4ce7234 (widthSlope's bootstrap moved onto src/stats/bootstrap.ts; slopeOfMeans stayed here). At 96a2577
    // the same bug read \`for (const i of pick) s += Math.log(perSeed[i][w]); return s / pick.length;\` (run there too).
    find: `    for (let j = 0; j < pick.length; j++) s += perSeed[pick[j]][w];
    return Math.log(s / pick.length);`,
    replace: `    for (let j = 0; j < pick.length; j++) s += Math.log(perSeed[pick[j]][w]);
    return s / pick.length;`,
    claims: ['ntk-init-limit'],
  },
  {
    id: 'probe-minibatch-padding-samples-weighted',
    kind: 'sampling',
    description: 'drawReparameterisedBatch weights all Kmax sample slots 1/(B·Kmax), padding included: a replica with K < Kmax (mixed-K batch on the TF.js path) gets extra samples at ε = 0 (z = μ) in its objective.',
    file: 'src/engine/minibatch.ts',
    find: '      for (let j = 0; j < K; j++) sampleWeight[(r * Bmax + i) * Kmax + j] = 1 / (B * K);',
    replace: '      for (let j = 0; j < Kmax; j++) sampleWeight[(r * Bmax + i) * Kmax + j] = 1 / (B * Kmax);',
    claims: ['samples-effect'],
  },
  {
    id: 'probe-kernel-noise-shared-across-batch',
    kind: 'sampling',
    description: 'The linear VAE kernel draws ε only for the first point of the mini-batch and reuses that stale buffer for the others: still unbiased per point, but the reparameterisation noise is no longer averaged over the B points.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: '          eps[j] = streams.noise.normal();',
    replace: '          if (i === 0) eps[j] = streams.noise.normal();',
    claims: ['sgd-rate-linear-vae', 'batch-size-effect'],
  },
  {
    id: 'probe-schedule-decay-capped',
    kind: 'schedule',
    description: 'The step schedule stops decaying after 5000 steps (PolynomialDecay-style decaySteps cap): γ_k = C·min(k, 5000)^(-α). The optimiser probe runs 2000 steps and never sees it.',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(Math.min(k, 5000), -alpha);',
    claims: ['sgd-rate-linear-vae'],
  },
  {
    id: 'probe-diagnose-linear-vae-std-for-variance',
    kind: 'entropy-formula',
    description: 'The public diagnose() reads the linear VAE\'s decoder variance as e^{logVar/2} (σ where σ² belongs).',
    file: 'src/entropy/diagnose.ts',
    find: '      const variance = model.fixedVariance ?? Math.exp(p.logVar[0]);',
    replace: '      const variance = model.fixedVariance ?? Math.exp(0.5 * p.logVar[0]);',
    claims: ['entropy-linear-vae'],
  },
  {
    id: 'probe-bernoulli-entropy-bits',
    kind: 'entropy-formula',
    description: 'bernoulliEntropy returns bits (log2) instead of nats.',
    file: 'src/entropy/formulas.ts',
    find: '  return 0 - xlogx(p) - xlogx(1 - p);',
    replace: '  return (0 - xlogx(p) - xlogx(1 - p)) / Math.LN2;',
    claims: ['entropy-bernoulli-mixture', 'entropy-sbn'],
  },
  {
    id: 'probe-ntk-inputs-normalised-by-sqrt-d',
    kind: 'sampling',
    description: 'sphereInputs divides each Gaussian row by √d (its expected norm) instead of its own norm: the inputs are near, not on, the unit sphere.',
    file: 'src/models/ntk/data.ts',
    find: '    const inv = 1 / Math.sqrt(norm2);',
    replace: '    const inv = 1 / Math.sqrt(d);',
    claims: ['ntk-init-limit'],
  },
  {
    id: 'probe-lazy-training-initial-kernel-of-seed-0',
    kind: 'estimator',
    description: 'ntk-lazy-training measures every seed\'s kernel change against seed 0\'s initial kernel (an index slip: reps[0] for reps[s]).',
    file: 'src/claims/ntk/ntk-lazy-training.check.ts',
    find: 'relativeFrobenius(reps[s].kernelT!, reps[s].kernel0)',
    replace: 'relativeFrobenius(reps[s].kernelT!, reps[0].kernel0)',
    claims: ['ntk-lazy-training'],
  },
  {
    id: 'probe-relu-ntk-cosine-clamp',
    kind: 'kernel',
    description: 'arcCosine clamps the cosine to ±(1 − 1e-4) "to keep acos finite": θ = 0.014 instead of 0 on the diagonal, so the analytic diagonal (K and Θ) is ≈ 0.45% low (off-diagonal entries untouched).',
    file: 'src/kernels/relu-ntk.ts',
    find: '  const cos = Math.min(1, Math.max(-1, c12 / norm));',
    replace: '  const cos = Math.min(1 - 1e-4, Math.max(-1 + 1e-4, c12 / norm));',
    claims: ['ntk-init-limit'],
  },
  {
    id: 'probe-linear-vae-kernel-sigma-for-variance',
    kind: 'gradient',
    description: 'The linear VAE kernel uses 1/σ_x where 1/σ_x² belongs in the reconstruction gradient (σ vs σ²): exactly invisible at σ_x = 1, the only σ_x any claim trains this model with.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: '    const invVar = 1 / (this.sigmaX * this.sigmaX);',
    replace: '    const invVar = 1 / this.sigmaX;',
    claims: ['sgd-rate-linear-vae'],
  },
  {
    id: 'probe-two-sample-test-se-per-draw',
    kind: 'statistics',
    description: 'twoSampleMeanTest uses the engine side\'s per-draw variance instead of the variance of its mean (s²_a instead of s²_a/M_a): the deep VAE\'s gradient conformance test loses ~√M of its power.',
    file: 'src/stats/two-sample-mean-test.ts',
    find: '    const qa = va / a.count;',
    replace: '    const qa = va;',
    claims: ['adam-rate-deep-vae'],
  },
  {
    id: 'probe-replica-init-stream-not-per-replica',
    kind: 'sampling',
    description: 'replicaStreams seeds the initialisation stream from its label alone (RandomStream.at(\'init\')): every replica of every claim starts from the same θ₀; only data order and noise still differ.',
    file: 'src/engine/replica.ts',
    find: "    init: RandomStream.at(seed, 'init'),",
    replace: "    init: RandomStream.at('init'),",
    claims: ['sgd-rate-linear-vae', 'entropy-ppca'],
  },
  // The public diagnose() dispatcher (src/entropy/diagnose.ts): caught since the entropy claims route their points through it.
  {
    id: 'probe-diagnose-gmm-average-keeps-upper',
    kind: 'entropy-formula',
    description: 'symmetricCovariances keeps the upper triangle ((Σ_ij, Σ_ij)) instead of averaging (Σ_ij + Σ_ji)/2: a covariance symmetric only within the tolerance is evaluated off by its asymmetry.',
    file: 'src/entropy/diagnose.ts',
    find: '        covs[o + i * D + j] = covs[o + j * D + i] = (a + b) / 2;',
    replace: '        covs[o + i * D + j] = covs[o + j * D + i] = a;',
    claims: ['entropy-gmm'],
  },
  {
    id: 'probe-diagnose-bernoulli-default-posterior-poisson',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'bernoulli-mixture' }) without q takes the Poisson family's E-step for the default posterior.",
    file: 'src/entropy/diagnose.ts',
    find: '      return mixture.diagnose(BERNOULLI, model.params, model.q ?? mixture.eStep(BERNOULLI, model.params, set).q, set);',
    replace: '      return mixture.diagnose(BERNOULLI, model.params, model.q ?? mixture.eStep(POISSON, model.params, set).q, set);',
    claims: ['entropy-bernoulli-mixture'],
  },
  {
    id: 'probe-diagnose-ppca-rows-for-dimension',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'ppca' }) passes the data dimension D where the row count N belongs: only the first D rows are evaluated.",
    file: 'src/entropy/diagnose.ts',
    find: '      return diagnosePpca(model.params, x, data.N);',
    replace: '      return diagnosePpca(model.params, x, data.D);',
    claims: ['entropy-ppca'],
  },
  {
    id: 'probe-diagnose-sbn-ignores-q',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'sbn', q }) ignores the user's q and always uses the exact posterior.",
    file: 'src/entropy/diagnose.ts',
    find: '      return sbn.diagnose(model.params, model.q ?? sbn.eStep(model.params, set).q, set);',
    replace: '      return sbn.diagnose(model.params, sbn.eStep(model.params, set).q, set);',
    claims: ['entropy-sbn'],
  },
  {
    id: 'probe-diagnose-gaussian-vae-latent-scale-default-off',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'gaussian-vae' }) defaults latentScale to false: a model trained with latent scales ρ is evaluated without them.",
    file: 'src/entropy/diagnose.ts',
    find: '        learnLatentScale: model.latentScale ?? true,',
    replace: '        learnLatentScale: model.latentScale ?? false,',
    claims: ['entropy-gaussian-vae'],
  },
  {
    id: 'probe-diagnose-vae-functions-kl-constant-dropped',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'gaussian-vae-functions' }) drops the −1 of KL(q ‖ N(0, I)) = ½ Σ (τ² + ν² − 1 − log τ²): F off by H/2.",
    file: 'src/entropy/diagnose.ts',
    find: '      kl += 0.5 * (t2 + nu * nu - 1 - lv);',
    replace: '      kl += 0.5 * (t2 + nu * nu - lv);',
    claims: ['entropy-gaussian-vae'],
  },
  // Seed independence and the full-range step size on the other convergence claims that train replicas over seeds.
  {
    id: 'probe-iwae-rate-replica-seed-index-dropped',
    kind: 'sampling',
    description: 'iwae-rate derives every replica\'s seed from seed index 0 (the loop variable s dropped): the S "seeds" are one trajectory S times.',
    file: 'src/claims/convergence/iwae-rate.check.ts',
    find: "          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),",
    replace: "          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', 0),",
    claims: ['iwae-rate'],
  },
  {
    id: 'probe-iwae-rate-schedule-decay-capped',
    kind: 'schedule',
    description: 'The step schedule stops decaying after 1000 steps: γ_k = C·min(k, 1000)^(-α) (iwae-rate trains 5000 steps at the quick tier).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(Math.min(k, 1000), -alpha);',
    claims: ['iwae-rate'],
  },
  {
    id: 'probe-deep-vae-replica-seed-index-dropped',
    kind: 'sampling',
    description: 'adam-rate-deep-vae derives every replica\'s seed from seed index 0 (the loop variable s dropped): the S "seeds" are one trajectory S times.',
    file: 'src/claims/convergence/adam-rate-deep-vae.check.ts',
    find: "          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', s),",
    replace: "          seed: deriveSeed(ctx.masterSeed, claimId, 'seed', 0),",
    claims: ['adam-rate-deep-vae'],
  },
  {
    id: 'probe-deep-vae-schedule-decay-capped',
    kind: 'schedule',
    description: 'The step schedule stops decaying after 2000 steps: γ_k = C·min(k, 2000)^(-α) (adam-rate-deep-vae trains 6000 steps at the quick tier; its optimiser probe runs 40).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(Math.min(k, 2000), -alpha);',
    claims: ['adam-rate-deep-vae'],
  },
  {
    id: 'probe-convergence-init-stream-not-per-replica',
    kind: 'sampling',
    description: 'replicaStreams seeds the initialisation stream from its label alone: every replica starts from the same θ₀ (data order and noise still differ), on the IWAE and deep-VAE rate claims.',
    file: 'src/engine/replica.ts',
    find: "    init: RandomStream.at(seed, 'init'),",
    replace: "    init: RandomStream.at('init'),",
    claims: ['iwae-rate', 'adam-rate-deep-vae'],
  },
  {
    id: 'probe-diagnose-gaussian-vae-fixed-variance-as-std',
    kind: 'entropy-formula',
    description: "diagnose({ kind: 'gaussian-vae', fixedVariance }) takes log σ where log σ² belongs: invisible at the falsifier's σ² = 1 (log 1 = 0), wrong at any other fixed σ².",
    file: 'src/entropy/diagnose.ts',
    find: '        fixedLogVariance: model.fixedVariance === undefined ? null : Math.log(model.fixedVariance),',
    replace: '        fixedLogVariance: model.fixedVariance === undefined ? null : 0.5 * Math.log(model.fixedVariance),',
    claims: ['entropy-gaussian-vae'],
  },
];
