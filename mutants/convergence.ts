/** Mutants of the convergence engine: schedule, optimisers, the linear VAE's gradient, its draws and its oracle. */
import type { Mutant } from './types.ts';

const SGD = 'sgd-rate-linear-vae';
const ADAM = 'adam-rate-linear-vae';
const LINEAR_RATE = [SGD, ADAM, 'beta-vae-rate'];

const NOISE_LAW = 'gradient-noise-law';

/** The kernel's per-step draws: B rows, then K·d_z normals per row (src/models/linear-vae/engine-model.ts). */
const KERNEL_DRAWS = `    for (let i = 0; i < B; i++) {
      const row = streams.data.int(this.dataSize) * dx;
      encoderMean(params, data, row, dx, dz, mu);
      for (let j = 0; j < dz; j++) {
        gmu[j] = 0;
        muSq += mu[j] * mu[j];
      }
      for (let kk = 0; kk < K; kk++) {
        for (let j = 0; j < dz; j++) {
          eps[j] = streams.noise.normal();
`;

/**
 * The same draws through a per-replica tape (kept on the replica's streams object): recorded on odd
 * steps, replayed on even ones (rows as drawn, ε multiplied by `sign`: '' replays, '-' negates).
 */
function tapedDraws(sign: '' | '-'): string {
  return `    const tape = ((streams as unknown as { tape?: { rows: number[]; eps: number[]; replay: boolean } }).tape ??= { rows: [], eps: [], replay: true });
    tape.replay = !tape.replay;
    if (!tape.replay) {
      tape.rows.length = 0;
      tape.eps.length = 0;
    }
    let taped = 0;
    for (let i = 0; i < B; i++) {
      const row = tape.replay ? tape.rows[i] : streams.data.int(this.dataSize) * dx;
      if (!tape.replay) tape.rows.push(row);
      encoderMean(params, data, row, dx, dz, mu);
      for (let j = 0; j < dz; j++) {
        gmu[j] = 0;
        muSq += mu[j] * mu[j];
      }
      for (let kk = 0; kk < K; kk++) {
        for (let j = 0; j < dz; j++) {
          eps[j] = tape.replay ? ${sign}tape.eps[taped++] : streams.noise.normal();
          if (!tape.replay) tape.eps.push(eps[j]);
`;
}

export const CONVERGENCE_MUTANTS: Mutant[] = [
  {
    id: 'schedule-quarter-exponent',
    kind: 'schedule',
    description: 'The engine steps with C·k^(-α/2): k^(-1/4) where the claim says k^(-1/2).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(k, -alpha / 2);',
    claims: LINEAR_RATE,
  },
  {
    id: 'schedule-off-by-one',
    kind: 'schedule',
    description: 'The step counter starts at 2: γ_k = C·(k+1)^(-α).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(k + 1, -alpha);',
    claims: [SGD],
  },
  {
    id: 'kernel-trainer-first-replica-schedule',
    kind: 'schedule',
    description: 'The kernel trainer applies replica 0\'s step schedule to every replica of the batch.',
    file: 'src/engine/kernel-trainer.ts',
    find: 'const schedule = this.replicas[r].schedule;',
    replace: 'const schedule = this.replicas[0].schedule;',
    claims: [SGD],
  },
  {
    id: 'kernel-bias-decoder-offset',
    kind: 'gradient',
    description: 'The linear VAE kernel adds a constant to every coordinate of the stochastic gradient of b (an error floor).',
    file: 'src/models/linear-vae/engine-model.ts',
    find: '      for (let j = 0; j < dz; j++) gmu[j] -= (beta / B) * mu[j];',
    replace: '      for (let j = 0; j < dz; j++) gmu[j] -= (beta / B) * mu[j];\n      for (let q = 0; q < dx; q++) gb[q] += 0.05 / B;',
    claims: LINEAR_RATE,
  },
  {
    id: 'kernel-kl-variance-gradient-unweighted',
    kind: 'gradient',
    description: 'The kernel forgets β in the KL term\'s gradient with respect to the log-variances s (the β-VAE trains another objective).',
    file: 'src/models/linear-vae/engine-model.ts',
    find: 'gs[j] -= 0.5 * beta * (es - 1);',
    replace: 'gs[j] -= 0.5 * (es - 1);',
    claims: ['beta-vae-rate'],
  },
  {
    id: 'kernel-sample-weight-per-point',
    kind: 'gradient',
    description: 'The kernel weights each reparameterised sample by 1/B instead of 1/(B·K): the reconstruction gradient is K times too large when K > 1.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: 'const w = 1 / (B * K);',
    replace: 'const w = 1 / B;',
    claims: ['samples-effect'],
  },
  {
    id: 'kernel-minibatch-half-data',
    kind: 'sampling',
    description: 'Mini-batch rows are drawn from the first half of the data set only (a biased gradient of the full-data objective).',
    file: 'src/models/linear-vae/engine-model.ts',
    find: 'const row = streams.data.int(this.dataSize) * dx;',
    replace: 'const row = streams.data.int(Math.ceil(this.dataSize / 2)) * dx;',
    claims: [SGD, 'batch-size-effect'],
  },
  {
    id: 'kernel-noise-half-scale',
    kind: 'sampling',
    description: 'The kernel\'s reparameterisation noise has standard deviation 1/2 instead of 1.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: '          eps[j] = streams.noise.normal();',
    replace: '          eps[j] = 0.5 * streams.noise.normal();',
    claims: [SGD],
  },
  {
    id: 'rng-box-muller-radius',
    kind: 'sampling',
    description: 'RandomStream\'s Box–Muller radius √(−log u) instead of √(−2 log u): every normal it draws (data, initialisation; the replicas\' noise has its own stream) has variance 1/2.',
    file: 'src/engine/rng.ts',
    find: 'const r = Math.sqrt(-2 * Math.log(u));',
    replace: 'const r = Math.sqrt(-Math.log(u));',
    claims: [SGD],
  },
  {
    id: 'counter-noise-box-muller-radius',
    kind: 'sampling',
    description: 'The replicas\' counter-based noise takes the Box–Muller radius √(−log u) instead of √(−2 log u): every reparameterisation draw has variance 1/2.',
    file: 'src/engine/counter-normals.ts',
    find: 'const r = Math.sqrt(-2 * logUnit(TWO_52 - top52(zScratch)));',
    replace: 'const r = Math.sqrt(-logUnit(TWO_52 - top52(zScratch)));',
    claims: [SGD, 'iwae-rate', 'sgd-rate-deep-vae'],
  },
  {
    id: 'rng-spare-normal-never-consumed',
    kind: 'sampling',
    description:
      'The hand-written stream forgets to clear its cached Box–Muller spare: after the first pair, normal() returns the same number forever (the linear Gaussian data\'s noise is frozen, which the data\'s own check sees; before the replicas\' noise had its own stream it froze that noise too).',
    file: 'src/engine/rng.ts',
    find: '    if (this.hasSpare) {\n      this.hasSpare = false;\n      return this.spare;\n    }',
    replace: '    if (this.hasSpare) {\n      return this.spare;\n    }',
    claims: [SGD],
  },
  {
    id: 'rng-uniform-low-word-scale',
    kind: 'sampling',
    description:
      'The 53-bit uniform scales its low 27 bits by 2^-26 instead of 2^-53 (a constant slip when writing uniformFloat64 out): uniforms reach [0, 3), so some row indices fall outside the data and some normals are NaN.',
    file: 'src/engine/rng.ts',
    find: 'return hi * SCALE26 + lo * SCALE53;',
    replace: 'return hi * SCALE26 + lo * SCALE26;',
    claims: [SGD],
  },
  {
    id: 'rng-bulk-state-not-saved',
    kind: 'sampling',
    description:
      'fillNormal\'s fast loop steps the generator in locals and forgets to store them back: the next call starts from the same state and repeats the same normals. Data generated point by point with fillNormal repeats its latent draws: gradient-noise-law\'s linear Gaussian data loses its principal directions and the claim\'s premise check errors. ' +
      'Measured not to see it (quick tier): entropy-gmm (pass), entropy-ppca (inconclusive), entropy-gaussian-vae (pass).',
    file: 'src/engine/rng.ts',
    find: '      if (i === end) break;\n    }\n    this.s00 = s00;\n    this.s01 = s01;\n    this.s10 = s10;\n    this.s11 = s11;\n',
    replace: '      if (i === end) break;\n    }\n',
    claims: [NOISE_LAW],
  },
  {
    id: 'rng-fill-int-ignores-offset',
    kind: 'sampling',
    description:
      "fillInt writes its draws from out[0] instead of out[offset]: every replica's rows of a TensorFlow.js batch (drawIndexedBatch fills them at r·B) land in the first replica's slots, the others keep row 0 and train on one data point. The kernels draw their rows in WebAssembly (random-rows.as.ts) and do not call it; the Gaussian VAE claims train on that path.",
    file: 'src/engine/rng.ts',
    find: 'for (let i = 0; i < count; i++) out[offset + i] = this.int(n);',
    replace: 'for (let i = 0; i < count; i++) out[i] = this.int(n);',
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants'],
    ports: true,
  },
  {
    id: 'counter-noise-ported-fill-from-pair-zero',
    kind: 'sampling',
    description:
      "A stream's normals computed in a module's memory (fillNormalPorted: the linear VAE kernel's) start every fill at pair 0 instead of the stream's position: each step's reparameterisation noise repeats the first step's. The first fill (which the stream compares with the specification) is right.",
    file: 'src/engine/counter-normals.ts',
    find: 'counterAt(this.key, this.drawn, zScratch);\n        port.pairs(',
    replace: 'counterAt(this.key, 0, zScratch);\n        port.pairs(',
    claims: [SGD],
    ports: true,
  },
  {
    id: 'adam-no-bias-correction-kernel',
    kind: 'optimizer',
    description: 'The kernel trainer\'s Adam drops the bias correction of both moments.',
    file: 'src/engine/kernel-optimizer.ts',
    find: 'this.c1 = 1 - Math.pow(beta1, k);\n      this.c2 = 1 - Math.pow(beta2, k);',
    replace: 'this.c1 = 1;\n      this.c2 = 1;',
    claims: [ADAM],
  },
  {
    id: 'adam-no-bias-correction-tfjs',
    kind: 'optimizer',
    description: 'The TF.js trainer\'s Adam drops the bias correction of both moments.',
    file: 'src/engine/optimizer.ts',
    find: 'const c1 = 1 - Math.pow(beta1, k);\n    const c2 = 1 - Math.pow(beta2, k);',
    replace: 'const c1 = 1;\n    const c2 = 1;',
    claims: [ADAM],
  },
  {
    id: 'adam-second-moment-beta1-kernel',
    kind: 'optimizer',
    description: 'The kernel trainer\'s Adam averages the squared gradient with β1 instead of β2.',
    file: 'src/engine/kernel-optimizer.ts',
    find: 'const vj = beta2 * v[j] + b2 * gi * gi;',
    replace: 'const vj = beta1 * v[j] + (1 - beta1) * gi * gi;',
    claims: [ADAM],
  },
  {
    id: 'adam-port-shared-moments',
    kind: 'optimizer',
    description:
      'The WebAssembly port of the kernel trainer\'s Adam passes the moments\' base addresses without the replica\'s offset: every replica of a batch updates (and reads) the first replica\'s m and v. Runs with the ports on (a mutant of the port\'s JavaScript side).',
    file: 'src/engine/kernel-optimizer-wasm.ts',
    find: 'this.exports.adam(theta, b.grad, b.m + 8 * o, b.v + 8 * o, n,',
    replace: 'this.exports.adam(theta, b.grad, b.m, b.v, n,',
    claims: [ADAM],
    ports: true,
  },
  {
    id: 'adam-port-bias-corrections-swapped',
    kind: 'optimizer',
    description:
      'The WebAssembly port of the kernel trainer\'s Adam is passed the two bias corrections in the wrong order (m / (1 − β2^k), v / (1 − β1^k)). Runs with the ports on (a mutant of the port\'s JavaScript side).',
    file: 'src/engine/kernel-optimizer-wasm.ts',
    find: 'gamma, this.c1, this.c2, cfg.epsilon);',
    replace: 'gamma, this.c2, this.c1, cfg.epsilon);',
    claims: [ADAM],
    ports: true,
  },
  {
    id: 'sgd-descent-kernel',
    kind: 'optimizer',
    description: 'The kernel trainer\'s SGD descends the ELBO instead of ascending it.',
    file: 'src/engine/kernel-optimizer.ts',
    find: 'for (let i = 0; i < g.length; i++) p[o + i] += gamma * g[i];',
    replace: 'for (let i = 0; i < g.length; i++) p[o + i] -= gamma * g[i];',
    claims: [SGD],
  },
  {
    id: 'oracle-variance-gradient-factor',
    kind: 'oracle',
    description: 'The float64 exact gradient of the log-variances misses the ½ in the reconstruction term (G_n measures the gradient of another function).',
    file: 'src/models/linear-vae/oracle.ts',
    find: 'g.s[j] = -0.5 * es * G[j * dz + j] * inv - 0.5 * beta * (es - 1);',
    replace: 'g.s[j] = -es * G[j * dz + j] * inv - 0.5 * beta * (es - 1);',
    claims: [SGD],
  },
  {
    id: 'oracle-offset-gradient-mean',
    kind: 'oracle',
    description: 'The exact gradient of b ignores the data mean (uses x − Wμ − b with x = 0).',
    file: 'src/models/linear-vae/oracle.ts',
    find: 'g.b[i] = (mean[i] - wmu - b[i]) * inv;',
    replace: 'g.b[i] = (-wmu - b[i]) * inv;',
    claims: [SGD],
  },
  {
    id: 'kernel-draws-replayed-every-other-step',
    kind: 'sampling',
    description:
      'The kernel advances its random draws only every other step: each even step replays the previous step\'s rows and ε (a random key reused, the classic functional-RNG slip). ' +
      'Every step alone is a correct draw (unbiased, the right spread), so one-step probes and rate slopes cannot see it; consecutive steps\' noise is identical, which doubles the noise ball.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: KERNEL_DRAWS,
    replace: tapedDraws(''),
    claims: [NOISE_LAW],
  },
  {
    id: 'kernel-antithetic-noise-across-steps',
    kind: 'sampling',
    description:
      'A misplaced variance reduction: each even step reuses the previous step\'s rows with the negated noise −ε (antithetic pairs across steps instead of within a step). ' +
      'Every step alone is a correct draw; consecutive steps\' noise cancels to first order, which shrinks the noise ball.',
    file: 'src/models/linear-vae/engine-model.ts',
    find: KERNEL_DRAWS,
    replace: tapedDraws('-'),
    claims: [NOISE_LAW],
  },
];
