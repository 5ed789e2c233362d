/**
 * Mutants of the WebAssembly kernels' AssemblyScript sources (src/**\/*.as.ts), with the ports on.
 * The committed binary is what runs, so until the loader checked each binary against its source
 * (src/engine/wasm-kernel.ts: a binary whose source changed is rebuilt from it) an edit of a
 * kernel's source was silently ignored and every one of these stayed green. Each must now be
 * compiled into the run and seen by the claims: by the run-time comparison of a port with its
 * JavaScript code on the same draws (bit for bit), or by the claim's own criteria.
 */
import type { Mutant } from './types.ts';

const DEEP = ['adam-rate-deep-vae', 'sgd-rate-deep-vae'];

export const WASM_SOURCE_MUTANTS: readonly Mutant[] = [
  {
    id: 'wasm-linear-vae-scale-gradient-quartered',
    kind: 'gradient',
    description: "The linear VAE kernel's WebAssembly source takes ¼ instead of ½ in ∂s += ½ g_z ε e^{s/2} (the encoder log-variance's reparameterisation gradient), in its SIMD lanes.",
    file: 'src/models/linear-vae/wasm/kernel.as.ts',
    find: 'const half = f64x2.splat(0.5);',
    replace: 'const half = f64x2.splat(0.25);',
    claims: ['sgd-rate-linear-vae', 'adam-rate-linear-vae', 'beta-vae-rate'],
    ports: true,
  },
  {
    id: 'wasm-deep-vae-kl-logvar-gradient-no-half',
    kind: 'gradient',
    description: "The deep VAE kernel's WebAssembly source drops the ½ of the KL's log-variance gradient (−(β/B)(σ² − 1) instead of −½(β/B)(σ² − 1)).",
    file: 'src/models/deep-vae/wasm/kernel.as.ts',
    find: 'store<f64>(gHead + ((<usize>(dz + j)) << 3), -bB * 0.5 * (e - 1));',
    replace: 'store<f64>(gHead + ((<usize>(dz + j)) << 3), -bB * (e - 1));',
    claims: DEEP,
    ports: true,
  },
  {
    id: 'wasm-deep-reference-kl-logvar-gradient-no-half',
    kind: 'oracle',
    description: "The float64 reference's WebAssembly source (the exact ‖∇L‖² measurement) drops the ½ of the KL's log-variance gradient.",
    file: 'src/models/deep-vae/wasm/reference.as.ts',
    find: 'store<f64>(dv + f8(j), -0.5 * beta * (sj * sj - 1));',
    replace: 'store<f64>(dv + f8(j), -beta * (sj * sj - 1));',
    claims: DEEP,
    ports: true,
  },
  {
    id: 'wasm-adam-no-second-moment-correction',
    kind: 'optimizer',
    description: "The kernel trainer's Adam in WebAssembly skips the second moment's bias correction in its SIMD lanes (v̂ = v instead of v/(1 − β2^k)); the scalar tail keeps it.",
    file: 'src/engine/wasm/optimizer.as.ts',
    find: 'const vh = divideV ? f64x2.div(vj, C2) : vj;',
    replace: 'const vh = vj;',
    claims: ['adam-rate-linear-vae'],
    ports: true,
  },
  {
    id: 'wasm-learned-variance-scale-gradient-doubled',
    kind: 'gradient',
    description: "The learned-variance linear VAE kernel's WebAssembly source uses w/v instead of w/(2v) in the data term of ∂s (the encoder log-variance).",
    file: 'src/models/linear-vae/wasm/learned-variance.as.ts',
    find: 'const halfWv = f64x2.splat(wv / 2);',
    replace: 'const halfWv = f64x2.splat(wv);',
    claims: ['d23-figure-1'],
    ports: true,
  },
  {
    id: 'wasm-batch-matmul-fourth-lane-group-reads-third',
    kind: 'gradient',
    description: "The SIMD batched matrix product (the TF.js path's every layer) reads the third group of four columns of b where the fourth belongs (a copy-paste offset 32 for 48), so outputs 12–15 of every 16 are wrong, forward and backward.",
    file: 'src/engine/wasm/batch-matmul.as.ts',
    find: 's3 = f32x4.add(s3, f32x4.mul(av, v128.load(bk, 48)));',
    replace: 's3 = f32x4.add(s3, f32x4.mul(av, v128.load(bk, 32)));',
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants'],
    ports: true,
  },
  {
    id: 'wasm-wide-matmul-third-row-reads-second',
    kind: 'gradient',
    description: "The SIMD product of one short matrix and a wide one (the NTK networks' X·W and Xᵀ·∂H, every step) reads row 4q + 1 of a where row 4q + 2 belongs (a copy-paste of the row before), so a quarter of the inputs get another input's pre-activations and weight-gradient terms.",
    file: 'src/engine/wasm/batch-matmul.as.ts',
    find: 'const v2 = v128.load32_splat(a2 + ko);',
    replace: 'const v2 = v128.load32_splat(a1 + ko);',
    claims: ['ntk-krr-equivalence', 'ntk-lazy-training', 'snn-krr-equivalence'],
    ports: true,
  },
  {
    id: 'wasm-gaussian-eval-dense-skips-negative-inputs',
    kind: 'estimator',
    description: "The WebAssembly port of the Gaussian VAE evaluation's dense layer skips every input ≤ 0 instead of only the zeros (as if the inputs had passed a ReLU): wrong hidden layers, ELBO and entropies.",
    file: 'src/models/gaussian-vae/wasm/dense.as.ts',
    find: 'if (v == 0) continue;',
    replace: 'if (v <= 0) continue;',
    claims: ['entropy-gaussian-vae'],
    ports: true,
  },
  {
    id: 'wasm-tfjs-adam-second-moment-uncorrected',
    kind: 'optimizer',
    description: "The fused TF.js Adam step's WebAssembly source forgets the second moment's bias correction in its SIMD lanes (√v' instead of √(v'/c2)).",
    file: 'src/engine/wasm/tfjs-adam.as.ts',
    find: 'f32x4.sqrt(f32x4.div(v, C2))',
    replace: 'f32x4.sqrt(v)',
    claims: ['entropy-gaussian-vae', 'entropy-vae-variants'],
    ports: true,
  },
  {
    id: 'wasm-sum-skips-first-row',
    kind: 'gradient',
    description: "The in-place column sum's WebAssembly source starts at row 1 (an off-by-one): every Sum over a non-innermost axis, e.g. a bias gradient Σ_rows δ, misses its first row.",
    file: 'src/engine/wasm/sum.as.ts',
    find: 'for (let r = 0; r < R; r++) {',
    replace: 'for (let r = 1; r < R; r++) {',
    // Measured: ntk-krr-equivalence and ntk-linear-convergence fail; ntk-lazy-training passes (its
    // trained quantity's sums are over innermost axes), so it is not named.
    claims: ['ntk-linear-convergence', 'ntk-krr-equivalence'],
    ports: true,
  },
  {
    id: 'wasm-counter-noise-second-normal-from-cosine',
    kind: 'sampling',
    description: "The counter-based noise's WebAssembly source takes both normals of a Box–Muller pair from the cosine (the select's operands swapped for the sine): each pair's second draw is ± its first, so neighbouring reparameterisation draws are perfectly correlated though each is N(0, 1).",
    file: 'src/engine/wasm/counter-normals.as.ts',
    find: 'const sn = v128.xor(v128.bitselect(cx, sx, swap), v128.and(negS, sign));',
    replace: 'const sn = v128.xor(v128.bitselect(sx, cx, swap), v128.and(negS, sign));',
    claims: ['sgd-rate-linear-vae', 'iwae-rate', 'sgd-rate-deep-vae'],
    ports: true,
  },
  {
    id: 'wasm-counter-noise-pairs-overlap',
    kind: 'sampling',
    description: "The counter-based noise's WebAssembly source advances its counters by 2γ per step instead of 4γ (a step fills two pairs, four outputs): each step's second pair is the next step's first, so half the reparameterisation draws repeat.",
    file: 'src/engine/wasm/counter-normals.as.ts',
    find: 'const step = i64x2.splat(4 * GAMMA);',
    replace: 'const step = i64x2.splat(2 * GAMMA);',
    claims: ['sgd-rate-linear-vae', 'iwae-rate', 'sgd-rate-deep-vae'],
    ports: true,
  },
  {
    id: 'wasm-stochastic-loss-tail-off-by-one',
    kind: 'gradient',
    description: "The stochastic network's fused loss gradient, WebAssembly source: the tail sum is read one draw too far (T_{k₀+1} for T_{k₀}), so the smallest active draw is left out of ḡ and P_ε.",
    file: 'src/models/ntk/wasm/stochastic-loss.as.ts',
    find: 'const tk = load<f64>(f64At(tailAt, c * (K + 1) + k0));',
    replace: 'const tk = load<f64>(f64At(tailAt, c * (K + 1) + min(k0 + 1, K)));',
    claims: ['snn-ntk', 'snn-krr-equivalence'],
    ports: true,
  },
];
