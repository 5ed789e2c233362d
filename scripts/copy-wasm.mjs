// `npm run build` step: tsc emits no .wasm, so copy every committed binary
// under src/ (each closed-form kernel's wasm/*-kernel.wasm, scripts/build-wasm.mjs)
// to the same place under dist/, where the built loader (e.g.
// dist/models/linear-vae/kernel-wasm.js) reads it beside itself.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const out = process.argv[2] ?? 'dist';
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? walk(path.join(dir, f)) : [path.join(dir, f)]));
const binaries = walk('src').filter((f) => f.endsWith('.wasm'));
for (const file of binaries) {
  const to = path.join(out, path.relative('src', file));
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(file, to);
}
console.log(`copy-wasm: ${binaries.length} WebAssembly binar${binaries.length === 1 ? 'y' : 'ies'} copied to ${out}`);
