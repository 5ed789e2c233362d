/**
 * The naive baseline of the replica-batching benchmark: ONE linear-VAE run the
 * way a TensorFlow.js user would write it first — tf.variable parameters,
 * tf.train.sgd with its learning rate set to γ_k = C·k^{-1/2} each step,
 * autodiff through optimizer.minimize, the mini-batch gathered from a data
 * tensor and the noise from tf.randomNormal. Same objective as the engine
 * (the reparameterised ELBO with closed-form KL, K = 1).
 */
import { tf } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';

export interface NaiveRunOptions {
  data: tf.Tensor2D; // [N, dx]
  dz: number;
  batchSize: number;
  sigmaX: number;
  C: number;
  seed: number;
  initScale?: number;
}

/** A variable holding `initial`'s values; the initial tensor is released. */
function variableFrom(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

export class NaiveLinearVaeRun {
  private readonly W: tf.Variable;
  private readonly b: tf.Variable;
  private readonly V: tf.Variable;
  private readonly c: tf.Variable;
  private readonly s: tf.Variable;
  private readonly optimizer: tf.SGDOptimizer;
  private readonly rows: RandomStream;
  private readonly noiseSeed: number;
  private k = 0;

  constructor(private readonly opts: NaiveRunOptions) {
    const [, dx] = opts.data.shape;
    const { dz, seed } = opts;
    const scale = opts.initScale ?? 0.1;
    this.W = variableFrom(tf.randomNormal([dx, dz], 0, scale, 'float32', seed));
    this.V = variableFrom(tf.randomNormal([dz, dx], 0, scale, 'float32', seed + 1));
    this.b = variableFrom(tf.zeros([dx]));
    this.c = variableFrom(tf.zeros([dz]));
    this.s = variableFrom(tf.zeros([dz]));
    this.optimizer = tf.train.sgd(opts.C);
    this.rows = new RandomStream(seed);
    this.noiseSeed = seed;
  }

  step(): void {
    const k = ++this.k;
    const { data, batchSize: B, dz, sigmaX, C } = this.opts;
    const [N, dx] = data.shape;
    this.optimizer.setLearningRate(C / Math.sqrt(k));
    const idx = new Int32Array(B);
    for (let i = 0; i < B; i++) idx[i] = this.rows.int(N);
    tf.tidy(() => {
      const x = tf.gather(data, tf.tensor1d(idx, 'int32'));
      const eps = tf.randomNormal([B, dz], 0, 1, 'float32', this.noiseSeed * 7919 + k);
      this.optimizer.minimize(() => {
        const mu = tf.matMul(x, this.V, false, true).add(this.c);
        const z = mu.add(this.s.mul(0.5).exp().mul(eps));
        const mean = tf.matMul(z, this.W, false, true).add(this.b);
        const recon = x.sub(mean).square().sum(1).mul(-0.5 / (sigmaX * sigmaX)).sub(0.5 * dx * Math.log(2 * Math.PI * sigmaX * sigmaX));
        const kl = this.s.exp().add(mu.square()).sub(1).sub(this.s).sum(1).mul(0.5);
        return recon.sub(kl).mean().neg() as tf.Scalar;
      });
    });
  }

  dispose(): void {
    tf.dispose([this.W, this.b, this.V, this.c, this.s]);
    this.optimizer.dispose();
  }
}
