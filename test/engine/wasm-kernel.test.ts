/**
 * What every WebAssembly kernel shares (src/engine/wasm-kernel.ts):
 *   - each committed binary (scripts/build-wasm.mjs's WASM_KERNELS, so a new kernel is
 *     covered by listing it there) is what the pinned compiler makes of its source:
 *     recompiled and compared byte for byte;
 *   - a binary loads, and the forcing variable turns it off at any time;
 *   - a missing or invalid binary gives the JavaScript kernel and says why, rather than throwing;
 *   - each binary records the hash of its source, and a binary whose source changed since is
 *     rebuilt from it (or, where it cannot be, loading throws): an edited kernel is never
 *     silently replaced by the committed one.
 * Each kernel's bitwise identity with its JavaScript kernel is tested beside the model
 * (test/convergence/*-kernel-wasm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { align16, ASC_FLAGS as LOADER_ASC_FLAGS, editedKernelSources, growTo, kernelSourceFiles, kernelSourceHash, StaleKernelError, wasmKernelBinary, WASM_PAGE } from '../../src/engine/wasm-kernel.ts';
// @ts-expect-error: a plain .mjs script, no declarations.
import { ASC_FLAGS, buildWasm, WASM_KERNELS } from '../../scripts/build-wasm.mjs';

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

  for (const name of Object.keys(kernels)) {
    const { source, binary } = kernels[name];
    it(`${name}: the committed source hash beside ${path.basename(binary)} is its source's (else \`npm run build:wasm\`)`, () => {
      const [hash, file] = readFileSync(path.join(root, `${binary}.source-sha256`), 'utf8').trim().split(/\s+/);
      expect(file).toBe(path.basename(source));
      expect(hash).toBe(kernelSourceHash(path.join(root, source)));
    });
  }

  it('a kernel\'s source hash is its file\'s SHA-256 when it imports nothing, and covers the files it imports', () => {
    const optimizer = path.join(root, kernels.optimizer.source);
    expect(kernelSourceFiles(optimizer)).toEqual([optimizer]);
    expect(kernelSourceHash(optimizer)).toBe(createHash('sha256').update(readFileSync(optimizer)).digest('hex'));
    const deep = path.join(root, kernels['deep-vae'].source);
    const fdlibm = path.join(root, 'src/engine/wasm/fdlibm.as.ts');
    expect(kernelSourceFiles(deep)).toEqual([deep, fdlibm]);
    expect(kernelSourceFiles(path.join(root, kernels['deep-vae-reference'].source))).toEqual([path.join(root, kernels['deep-vae-reference'].source), fdlibm]);
    // Re-exports count as imports: the linear VAE kernel re-exports the row draws (and imports the optimiser's SGD for its fused steps).
    const linear = path.join(root, kernels['linear-vae'].source);
    expect(kernelSourceFiles(linear)).toEqual([linear, fdlibm, path.join(root, 'src/engine/wasm/counter-normals.as.ts'), path.join(root, 'src/engine/wasm/random-rows.as.ts'), optimizer]);
    // An edit of the imported file alone changes the hash (so the binary is stale and rebuilt).
    const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-hash-'));
    try {
      const copy = (from: string, to: string) => {
        mkdirSync(path.dirname(to), { recursive: true });
        copyFileSync(from, to);
      };
      const entry = path.join(dir, path.relative(root, deep));
      const imported = path.join(dir, path.relative(root, fdlibm));
      copy(deep, entry);
      copy(fdlibm, imported);
      const before = kernelSourceHash(entry);
      expect(before).toBe(kernelSourceHash(deep));
      writeFileSync(imported, readFileSync(fdlibm, 'utf8') + '\n// edited\n');
      expect(kernelSourceHash(entry)).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a binary whose source changed since it was built', () => {
    const { source, binary } = kernels.optimizer;
    /** A scratch copy of src/'s kernel (source, binary, recorded hash), with node_modules (the compiler) linked or not. */
    function scratchCheckout(opts: { compiler: boolean; under?: 'dist' }) {
      const dir = mkdtempSync(path.join(tmpdir(), 'stale-kernel-'));
      if (opts.compiler) symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      mkdirSync(path.join(dir, path.dirname(source)), { recursive: true });
      for (const f of [source, binary, `${binary}.source-sha256`]) copyFileSync(path.join(root, f), path.join(dir, f));
      const loaderDir = opts.under === 'dist' ? path.join(dir, 'dist', path.relative('src', path.dirname(binary))) : path.join(dir, path.dirname(binary));
      if (opts.under === 'dist') {
        mkdirSync(loaderDir, { recursive: true });
        copyFileSync(path.join(root, binary), path.join(loaderDir, path.basename(binary)));
      }
      const load = (envVar: string) =>
        wasmKernelBinary(pathToFileURL(path.join(loaderDir, path.basename(binary))), envVar, {
          name: 'optimizer',
          source: pathToFileURL(path.join(loaderDir, path.basename(source))),
        });
      const edit = (text: string) => writeFileSync(path.join(dir, source), readFileSync(path.join(root, source), 'utf8') + text);
      return { dir, load, edit };
    }

    it('the loader rebuilds with the flags the committed binaries were built with', () => {
      expect(LOADER_ASC_FLAGS).toEqual(ASC_FLAGS);
    });

    it('unchanged: the committed binary loads, nothing is rebuilt', () => {
      const c = scratchCheckout({ compiler: false });
      try {
        const l = c.load('VAE_CLAIMS_TEST_FRESH_KERNEL').load();
        expect('module' in l && l.rebuilt).toBeFalsy();
        expect('module' in l).toBe(true);
      } finally {
        rmSync(c.dir, { recursive: true, force: true });
      }
    });

    it.skipIf(compiler === null)('edited in a checkout: compiled afresh from the edited source and that module is used (also from dist/)', () => {
      for (const under of [undefined, 'dist'] as const) {
        const c = scratchCheckout({ compiler: true, under });
        try {
          // A unique edit, so the compile is not served from the cache of an earlier run.
          c.edit(`\nexport function staleProbe${Date.now()}${under ?? ''}(): i32 { return 7; }\n`);
          const b = c.load(`VAE_CLAIMS_TEST_STALE_${under ?? 'SRC'}_KERNEL`);
          const l = b.load();
          expect('module' in l && l.rebuilt).toMatch(/vae-claims-wasm[\\/]optimizer-[0-9a-f]{16}\.wasm$/);
          if (!('module' in l)) throw new Error('no module');
          expect(WebAssembly.Module.exports(l.module).some((e) => e.name.startsWith('staleProbe'))).toBe(true);
          expect(b.implementation()).toBe('wasm-simd');
        } finally {
          rmSync(c.dir, { recursive: true, force: true });
        }
      }
    }, 60_000);

    it.skipIf(compiler === null)('edited so that it does not compile: loading throws, naming the kernel, instead of running JavaScript', () => {
      const c = scratchCheckout({ compiler: true });
      try {
        c.edit(`\nthis is not AssemblyScript ${Date.now()}\n`);
        const b = c.load('VAE_CLAIMS_TEST_BROKEN_KERNEL');
        expect(() => b.load()).toThrow(StaleKernelError);
        expect(() => b.implementation()).toThrow(/optimizer\.as\.ts \(kernel optimizer\) is not the source its committed binary optimizer-kernel\.wasm was built from .*rebuilding it failed/);
      } finally {
        rmSync(c.dir, { recursive: true, force: true });
      }
    }, 60_000);

    it('edited where no compiler is installed: loading throws and says what to run', () => {
      const c = scratchCheckout({ compiler: false });
      try {
        const b = c.load('VAE_CLAIMS_TEST_NOSCRIPT_KERNEL');
        expect(editedKernelSources()).not.toContain('optimizer');
        c.edit('\n// edited\n');
        // What a report's provenance lists (environment.editedKernels): found by hashing, before anything loads.
        expect(editedKernelSources()).toContain('optimizer');
        expect(() => b.load()).toThrow(/the AssemblyScript compiler \(devDependency assemblyscript\) is not installed to rebuild it: `npm ci`, then `npm run build:wasm`/);
      } finally {
        rmSync(c.dir, { recursive: true, force: true });
      }
    });
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
