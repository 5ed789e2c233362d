// Compiles each closed-form kernel's AssemblyScript source into the committed
// binary beside it: `npm run build:wasm` (all of them), or
// `npm run build:wasm -- NAME [out.wasm]` (one, optionally elsewhere); run by tsx,
// since it takes the source hash from src/engine/wasm-kernel.ts.
// Building a committed binary also writes `<binary>.source-sha256` beside it
// (sha256sum format): the hash of the source it came from (with the files it
// imports: kernelSourceHash), which the loader
// compares with the source before it trusts the binary (and, if they differ,
// rebuilds with the same flags: src/engine/wasm-kernel.ts's ASC_FLAGS, held
// equal to these by test/engine/wasm-kernel.test.ts).
// The compiler is the devDependency assemblyscript, pinned exactly in
// package.json (its binaryen optimiser is pinned by it), so the output is
// reproducible: each kernel's wasm test (test/convergence/*-kernel-wasm.test.ts)
// recompiles and compares bytes.
// Flags: -O3 (speed), stub runtime (no allocator: every address comes from
// JavaScript), imported memory, SIMD enabled (f64x2; no relaxed SIMD, so no
// fused multiply-add), no abort import.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { kernelSourceHash } from '../src/engine/wasm-kernel.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Every kernel: its AssemblyScript source and the committed binary. */
export const WASM_KERNELS = {
  'deep-vae': { source: 'src/models/deep-vae/wasm/kernel.as.ts', binary: 'src/models/deep-vae/wasm/deep-vae-kernel.wasm' },
  'linear-vae': { source: 'src/models/linear-vae/wasm/kernel.as.ts', binary: 'src/models/linear-vae/wasm/linear-vae-kernel.wasm' },
  'deep-vae-reference': { source: 'src/models/deep-vae/wasm/reference.as.ts', binary: 'src/models/deep-vae/wasm/deep-vae-reference.wasm' },
  'learned-variance': { source: 'src/models/linear-vae/wasm/learned-variance.as.ts', binary: 'src/models/linear-vae/wasm/learned-variance-kernel.wasm' },
  optimizer: { source: 'src/engine/wasm/optimizer.as.ts', binary: 'src/engine/wasm/optimizer-kernel.wasm' },
  'batch-matmul': { source: 'src/engine/wasm/batch-matmul.as.ts', binary: 'src/engine/wasm/batch-matmul.wasm' },
  sum: { source: 'src/engine/wasm/sum.as.ts', binary: 'src/engine/wasm/sum.wasm' },
  'tfjs-adam': { source: 'src/engine/wasm/tfjs-adam.as.ts', binary: 'src/engine/wasm/tfjs-adam.wasm' },
  'counter-normals': { source: 'src/engine/wasm/counter-normals.as.ts', binary: 'src/engine/wasm/counter-normals.wasm' },
  'gaussian-vae-dense': { source: 'src/models/gaussian-vae/wasm/dense.as.ts', binary: 'src/models/gaussian-vae/wasm/dense.wasm' },
  'stochastic-loss': { source: 'src/models/ntk/wasm/stochastic-loss.as.ts', binary: 'src/models/ntk/wasm/stochastic-loss.wasm' },
  'wide-relu-loss': { source: 'src/models/ntk/wasm/wide-relu-loss.as.ts', binary: 'src/models/ntk/wasm/wide-relu-loss.wasm' },
  'gd-step': { source: 'src/models/ntk/wasm/gd-step.as.ts', binary: 'src/models/ntk/wasm/gd-step.wasm' },
  'picked-row-sums': { source: 'src/stats/wasm/picked-row-sums.as.ts', binary: 'src/stats/wasm/picked-row-sums.wasm' },
  'iwae-oracle': { source: 'src/models/linear-vae/wasm/iwae-oracle.as.ts', binary: 'src/models/linear-vae/wasm/iwae-oracle.wasm' },
  'linear-vae-oracle': { source: 'src/models/linear-vae/wasm/oracle.as.ts', binary: 'src/models/linear-vae/wasm/linear-vae-oracle.wasm' },
};
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--enable', 'simd', '--use', 'abort=', '--noColors'];

/**
 * Compile kernel `name` into `out` (absolute or relative to the repository; default its
 * committed binary, whose source hash is then recorded beside it); throws if the compiler
 * is missing or fails.
 */
export function buildWasm(name, out) {
  const kernel = WASM_KERNELS[name];
  if (!kernel) throw new Error(`no WebAssembly kernel "${name}"; known: ${Object.keys(WASM_KERNELS).join(', ')}`);
  const asc = createRequire(path.join(root, 'package.json')).resolve('assemblyscript/bin/asc.js');
  const target = path.resolve(root, out ?? kernel.binary);
  const result = spawnSync(process.execPath, [asc, kernel.source, ...ASC_FLAGS, '-o', target], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`asc failed on ${kernel.source} (${result.status}): ${result.stderr}${result.stdout}`);
  if (out === undefined) {
    // `<binary>.source-sha256` in sha256sum format: what src/engine/wasm-kernel.ts compares the source with.
    const hash = kernelSourceHash(path.join(root, kernel.source));
    writeFileSync(path.join(root, `${kernel.binary}.source-sha256`), `${hash}  ${path.basename(kernel.source)}\n`);
  }
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, out] = process.argv.slice(2);
  for (const n of name ? [name] : Object.keys(WASM_KERNELS)) console.log(`build-wasm: wrote ${path.relative(root, buildWasm(n, out))}`);
}
