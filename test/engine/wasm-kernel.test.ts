/**
 * What every WebAssembly kernel shares (src/engine/wasm-kernel.ts):
 *   - each committed binary (scripts/build-wasm.mjs's WASM_KERNELS, so a new kernel is
 *     covered by listing it there) is what the pinned compiler makes of its source:
 *     recompiled and compared byte for byte;
 *   - a binary loads, and the forcing variable turns it off at any time;
 *   - a missing or invalid binary gives the JavaScript kernel and says why, rather than throwing.
 * Each kernel's bitwise identity with its JavaScript kernel is tested beside the model
 * (test/convergence/*-kernel-wasm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { align16, growTo, wasmKernelBinary, WASM_PAGE } from '../../src/engine/wasm-kernel.ts';
// @ts-expect-error: a plain .mjs script, no declarations.
import { buildWasm, WASM_KERNELS } from '../../scripts/build-wasm.mjs';

const kernels = WASM_KERNELS as Record<string, { source: string; binary: string }>;
const build = buildWasm as (name: string, out: string) => string;
const root = path.resolve(import.meta.dirname, '../..');

let compiler: string | null = null;
try {
  compiler = createRequire(path.join(root, 'package.json')).resolve('assemblyscript/bin/asc.js');
} catch {
  compiler = null;
}

describe('WebAssembly kernels', () => {
  it('lists at least the linear and deep VAE kernels, each with a committed binary', () => {
    expect(Object.keys(kernels).sort()).toEqual(expect.arrayContaining(['deep-vae', 'linear-vae']));
    for (const { binary } of Object.values(kernels)) expect(readFileSync(path.join(root, binary)).length).toBeGreaterThan(100);
  });

  for (const name of Object.keys(kernels)) {
    const { source, binary } = kernels[name];
    it.skipIf(compiler === null)(`the committed ${path.basename(binary)} is what the pinned compiler makes of ${source}${compiler === null ? ' (skipped: assemblyscript is not installed; npm ci installs it)' : ''}`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), `${name}-wasm-`));
      try {
        const rebuilt = readFileSync(build(name, path.join(dir, 'kernel.wasm')));
        const committed = readFileSync(path.join(root, binary));
        expect(rebuilt.equals(committed), `${binary} differs from its source: run \`npm run build:wasm\` and commit the binary`).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);

    it(`${name}: loads here, and its forcing variable turns it off (read at each call)`, () => {
      const envVar = `VAE_CLAIMS_TEST_${name.toUpperCase().replace(/-/g, '_')}_KERNEL`;
      const b = wasmKernelBinary(pathToFileURL(path.join(root, binary)), envVar);
      expect(b.implementation()).toBe('wasm-simd');
      expect(b.module()).toBeInstanceOf(WebAssembly.Module);
      process.env[envVar] = 'js';
      try {
        expect(b.implementation()).toBe('js');
        expect(b.module()).toBeNull();
      } finally {
        delete process.env[envVar];
      }
      expect(b.implementation()).toBe('wasm-simd');
    });
  }

  it('a missing or invalid binary gives the JavaScript kernel and the reason, without throwing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasm-kernel-'));
    try {
      const missing = wasmKernelBinary(pathToFileURL(path.join(dir, 'absent.wasm')), 'VAE_CLAIMS_TEST_ABSENT_KERNEL');
      expect(missing.implementation()).toBe('js');
      expect(missing.load()).toEqual({ failure: expect.stringContaining('ENOENT') });
      writeFileSync(path.join(dir, 'bad.wasm'), 'not a module');
      const bad = wasmKernelBinary(pathToFileURL(path.join(dir, 'bad.wasm')), 'VAE_CLAIMS_TEST_BAD_KERNEL');
      expect(bad.module()).toBeNull();
      expect('failure' in bad.load()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('align16 rounds up to 16 bytes; growTo grows by whole pages and never shrinks', () => {
    expect([0, 1, 15, 16, 17, 33].map(align16)).toEqual([0, 16, 16, 16, 32, 48]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    growTo(memory, WASM_PAGE + 1);
    expect(memory.buffer.byteLength).toBe(2 * WASM_PAGE);
    growTo(memory, 10);
    expect(memory.buffer.byteLength).toBe(2 * WASM_PAGE);
  });
});
