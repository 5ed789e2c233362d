/**
 * Kernel ridge regression and the penalty ↔ λ' mapping.
 *  - krrPredict equals a direct float64 solve.
 *  - Gradient descent on the LINEARISED model f = f₀ + J(θ − θ₀) with the
 *    loss (1/2n)‖f − y‖² + (λ/2)‖θ − θ₀‖², run to convergence in float64,
 *    equals f₀* + Θ*(Θ + λ'I)⁻¹(y − f₀) with Θ = JJᵀ and λ' = nλ exactly (to
 *    rounding), and NOT with λ' = λ.
 *  - The engine's GD loop (src/models/ntk/gd.ts, float32, effective weights
 *    w = cθ with step scale κ) reproduces the same predictor on a linear
 *    model; its ridge toward 0 reproduces the ridge-to-zero solution instead.
 *  - linearisedResiduals equals iterating r ← (I − ηΘ/n) r.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Matrix, solve } from 'ml-matrix';
import { tf, useBackend } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { krrPredict, linearisedResiduals, relativeError, ridgeToKrrLambda, symmetricEigen } from '../../src/kernels/krr.ts';
import { runGradientDescent, type GdModel } from '../../src/models/ntk/gd.ts';

const n = 12;
const nTest = 5;
const P = 40;
const rng = new RandomStream(31337);
const normals = (k: number) => Float64Array.from({ length: k }, () => rng.normal());
/** Jacobians w.r.t. θ at training and test points, rows = points. */
const randomMatrix = (rows: number, cols: number) => new Matrix(Array.from({ length: rows }, () => Array.from(normals(cols), (v) => v / Math.sqrt(cols))));
const J = randomMatrix(n, P);
const Jtest = randomMatrix(nTest, P);
const y = normals(n);
const f0 = normals(n).map((v) => 0.3 * v);
const f0Test = normals(nTest).map((v) => 0.3 * v);
const theta0 = normals(P);
const lambda = 0.02;

const Theta = J.mmul(J.transpose());
const Cross = Jtest.mmul(J.transpose());

describe('kernel ridge regression', () => {
  it('matches a direct solve', () => {
    const lp = 0.37;
    const mine = krrPredict({ train: Theta, cross: Cross, y, lambdaPrime: lp, f0Train: f0, f0Test });
    const A = Theta.clone().add(Matrix.eye(n).mul(lp));
    const alpha = solve(A, Matrix.columnVector(Array.from(y, (v, i) => v - f0[i])));
    const direct = Cross.mmul(alpha).getColumn(0).map((v, i) => v + f0Test[i]);
    expect(relativeError(mine, direct)).toBeLessThan(1e-12);
    expect(() => krrPredict({ train: Theta, cross: Cross, y, lambdaPrime: -1 })).toThrow(/λ' = -1; allowed a finite λ' ≥ 0/);
    expect(() => ridgeToKrrLambda(-0.1, 10)).toThrow(/allowed a finite λ ≥ 0/);
  });

  it('float64 GD with ridge toward θ₀ on the linearised model converges to KRR with λ′ = nλ (not λ)', () => {
    const eig = symmetricEigen(Theta);
    const eta = n / eig.values[n - 1]; // η·λ_max/n = 1
    // Contraction per step ≤ 1 − ηλ on the parameter error: 1e-14 after T steps.
    const T = Math.ceil(Math.log(1e-14) / Math.log(1 - eta * lambda));
    const theta = Float64Array.from(theta0);
    for (let t = 0; t < T; t++) {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = f0[i] - y[i];
        for (let p = 0; p < P; p++) s += J.get(i, p) * (theta[p] - theta0[p]);
        r[i] = s;
      }
      for (let p = 0; p < P; p++) {
        let g = 0;
        for (let i = 0; i < n; i++) g += J.get(i, p) * r[i];
        theta[p] -= eta * (g / n + lambda * (theta[p] - theta0[p]));
      }
    }
    const pred = Array.from({ length: nTest }, (_, i) => {
      let s = f0Test[i];
      for (let p = 0; p < P; p++) s += Jtest.get(i, p) * (theta[p] - theta0[p]);
      return s;
    });
    const krr = krrPredict({ train: Theta, cross: Cross, y, lambdaPrime: ridgeToKrrLambda(lambda, n), f0Train: f0, f0Test });
    const wrongMap = krrPredict({ train: Theta, cross: Cross, y, lambdaPrime: lambda, f0Train: f0, f0Test });
    expect(relativeError(pred, krr)).toBeLessThan(1e-10);
    expect(relativeError(pred, wrongMap)).toBeGreaterThan(1e-2);
  });

  it('linearisedResiduals equals iterating r ← (I − ηΘ/n) r', () => {
    const eig = symmetricEigen(Theta);
    const eta = (1.5 * n) / eig.values[n - 1];
    const steps = [0, 1, 7, 40];
    const closed = linearisedResiduals(eig, f0, eta, steps);
    let r = Float64Array.from(f0);
    for (let t = 0; t <= 40; t++) {
      const k = steps.indexOf(t);
      if (k >= 0) expect(relativeError(closed[k], r)).toBeLessThan(1e-12);
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += Theta.get(i, j) * r[j];
        next[i] = r[i] - (eta * s) / n;
      }
      r = next;
    }
  });
});

/** A linear model in the engine's GD interface: f_r = f₀ + J_w (w_r − w₀), w = cθ, two replicas. */
class LinearModel implements GdModel<'w'> {
  readonly R = 2;
  readonly params: { w: tf.Variable };
  readonly multipliers: { w: Float64Array };
  readonly lrScales: { w: Float64Array };
  private readonly Jw: tf.Tensor2D; // [P, n]: J_wᵀ
  private readonly JwTest: tf.Tensor2D;
  private readonly w0: tf.Tensor2D;
  private readonly f0: tf.Tensor2D;
  constructor(readonly c: number, kappa: number) {
    this.multipliers = { w: new Float64Array(2).fill(c) };
    this.lrScales = { w: new Float64Array(2).fill(kappa) };
    // J_w = J_θ / c, effective init w₀ = c θ₀.
    this.Jw = tf.tensor2d(Float32Array.from(J.transpose().to1DArray(), (v) => v / c), [P, n]);
    this.JwTest = tf.tensor2d(Float32Array.from(Jtest.transpose().to1DArray(), (v) => v / c), [P, nTest]);
    const w0 = Float32Array.from(theta0, (v) => c * v);
    this.w0 = tf.tensor2d(w0, [1, P]);
    this.f0 = tf.tensor2d(Float32Array.from(f0), [1, n]);
    const init = tf.tensor2d(Float32Array.from([...w0, ...w0]), [1, 2 * P]);
    this.params = { w: tf.variable(init) };
    init.dispose();
  }
  expandPerReplica(_g: 'w', values: ArrayLike<number>): tf.Tensor {
    return tf.tensor2d(Float32Array.from({ length: 2 * P }, (_, k) => values[Math.floor(k / P)]), [1, 2 * P]);
  }
  private delta(): tf.Tensor2D {
    return this.params.w.reshape([2, P]).sub(this.w0) as tf.Tensor2D;
  }
  outputs(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(this.delta(), this.Jw).add(this.f0) as tf.Tensor2D);
  }
  testOutputs(): Float32Array {
    const out = tf.tidy(() => tf.matMul(this.delta(), this.JwTest).add(tf.tensor2d(Float32Array.from(f0Test), [1, nTest])));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return values;
  }
  gradients(yT: tf.Tensor2D) {
    return tf.tidy(() => {
      const f = this.outputs();
      const g = f.sub(yT).div(n); // [2, n]
      return { f, grads: { w: tf.matMul(g, this.Jw.transpose()).reshape([1, 2 * P]) } };
    });
  }
  dispose(): void {
    tf.dispose([this.params.w, this.Jw, this.JwTest, this.w0, this.f0]);
  }
}

describe('engine GD loop on a linear model', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('ridge toward θ₀ converges to KRR(λ′ = nλ); ridge toward 0 to the ridge-to-zero solution', () => {
    const before = tf.memory().numTensors;
    const model = new LinearModel(0.5, 2);
    const yT = tf.tensor2d(Float32Array.from(y), [1, n]);
    const eig = symmetricEigen(Theta);
    const eta = n / eig.values[n - 1] / 2; // κ = 2: effective η·κ·λ_max/n = 1
    const T = Math.ceil(Math.log(1e-9) / Math.log(1 - eta * 2 * lambda));
    const res = runGradientDescent(model, {
      gradients: () => model.gradients(yT),
      outputs: () => model.outputs(),
      y,
      steps: T,
      eta: Float64Array.of(eta, eta),
      ridge: { lambda: Float64Array.of(lambda, lambda), towardInit: [true, false] },
      recordAt: (t) => t === T,
    });
    expect(Array.from(res.divergedAt)).toEqual([-1, -1]);
    const test = model.testOutputs();
    const krr = krrPredict({ train: Theta, cross: Cross, y, lambdaPrime: ridgeToKrrLambda(lambda, n), f0Train: f0, f0Test });
    // Ridge toward 0 in θ: minimiser θ* = (JᵀJ/n + λI)⁻¹ (Jᵀ(y − f₀ + Jθ₀)/n).
    const A = J.transpose().mmul(J).div(n).add(Matrix.eye(P).mul(lambda));
    const rhs = J.transpose().mmul(Matrix.columnVector(Array.from(y, (v, i) => v - f0[i] + J.getRow(i).reduce((s, jv, p) => s + jv * theta0[p], 0)))).div(n);
    const thetaStar = solve(A, rhs).getColumn(0);
    const zeroPred = Array.from({ length: nTest }, (_, i) => f0Test[i] + Jtest.getRow(i).reduce((s, jv, p) => s + jv * (thetaStar[p] - theta0[p]), 0));
    // Float32 arithmetic over ~1e3 steps: 1e-4 relative leaves ~100× margin over the rounding seen (~1e-6).
    expect(relativeError(test.subarray(0, nTest), krr)).toBeLessThan(1e-4);
    expect(relativeError(test.subarray(nTest), zeroPred)).toBeLessThan(1e-4);
    expect(relativeError(test.subarray(nTest), krr)).toBeGreaterThan(0.05);
    yT.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flags a replica whose outputs blow up and stops once all have diverged', () => {
    const model = new LinearModel(1, 1);
    const yT = tf.tensor2d(Float32Array.from(y), [1, n]);
    const eig = symmetricEigen(Theta);
    const res = runGradientDescent(model, {
      gradients: () => model.gradients(yT),
      outputs: () => model.outputs(),
      y,
      steps: 100000,
      eta: Float64Array.of((3 * n) / eig.values[n - 1], (4 * n) / eig.values[n - 1]),
      recordAt: () => false,
    });
    expect(res.divergedAt.every((s) => s > 0)).toBe(true);
    expect(res.stepsRun).toBeLessThan(1000);
    expect(() => runGradientDescent(model, { gradients: () => model.gradients(yT), outputs: () => model.outputs(), y, steps: 1, eta: Float64Array.of(1, -1) })).toThrow(/step size η = -1/);
    yT.dispose();
    model.dispose();
  });
});
