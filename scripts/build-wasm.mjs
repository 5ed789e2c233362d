// Compiles the deep VAE kernel's AssemblyScript source
// (src/models/deep-vae/wasm/kernel.as.ts) into the committed binary beside it,
// or into the path given: `node scripts/build-wasm.mjs [out.wasm]`. The
// compiler is the devDependency assemblyscript, pinned exactly in package.json
// (its binaryen optimiser is pinned by it), so the output is reproducible:
// test/convergence/deep-vae-kernel-wasm.test.ts recompiles and compares bytes.
// Flags: -O3 (speed), stub runtime (no allocator: every address comes from
// JavaScript), imported memory, SIMD enabled (f64x2; no relaxed SIMD, so no
// fused multiply-add), no abort import.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
export const WASM_SOURCE = 'src/models/deep-vae/wasm/kernel.as.ts';
export const WASM_BINARY = 'src/models/deep-vae/wasm/deep-vae-kernel.wasm';
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--enable', 'simd', '--use', 'abort=', '--noColors'];

/** Compile into `out` (absolute or relative to the repository); throws if the compiler is missing or fails. */
export function buildWasm(out = WASM_BINARY) {
  const asc = createRequire(path.join(root, 'package.json')).resolve('assemblyscript/bin/asc.js');
  const result = spawnSync(process.execPath, [asc, WASM_SOURCE, ...ASC_FLAGS, '-o', path.resolve(root, out)], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`asc failed (${result.status}): ${result.stderr}${result.stdout}`);
  return path.resolve(root, out);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`build-wasm: wrote ${path.relative(root, buildWasm(process.argv[2]))}`);
}
