/**
 * What every hand-written WebAssembly kernel shares (src/models/{linear-vae,deep-vae}/kernel-wasm.ts,
 * and the kernel trainer's optimiser, src/engine/kernel-optimizer-wasm.ts):
 * loading its committed binary once per process, the environment variable that forces
 * the JavaScript kernel instead, and the layout of its memory.
 *
 * A kernel's port is an optimisation, never a requirement: where its binary cannot be
 * compiled here (no WebAssembly SIMD, file missing) the JavaScript kernel runs, and the
 * port says which through `implementation()`. A binary older than its source is another
 * matter (currentBinary): it is rebuilt, or loading throws. Forcing JavaScript (VAE_CLAIMS_<NAME>_KERNEL=js)
 * serves mutants of a JavaScript kernel, which the port would otherwise bypass
 * (mutants/run.ts sets every such variable), and debugging.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type KernelImplementation = 'wasm-simd' | 'js';

/** The compiled module (`rebuilt`: compiled afresh from a source changed since the committed binary, the file used), or why it could not be compiled. */
export type WasmLoad = { module: WebAssembly.Module; rebuilt?: string } | { failure: string };

/**
 * A kernel's AssemblyScript source, so that a binary can be checked against it: the
 * committed binary records the SHA-256 of the source it was compiled from in a file
 * beside it (`<binary>.source-sha256`, sha256sum format, written by scripts/build-wasm.mjs;
 * kernelSourceHash, which covers the files the source imports).
 */
export interface WasmKernelSource {
  /** The kernel's name in scripts/build-wasm.mjs's WASM_KERNELS. */
  name: string;
  /** The source beside the binary under src/ (a loader under dist/ looks for it under src/). */
  source: URL;
}

/** Thrown when a binary is stale and cannot be rebuilt: the engine would not be what its source says. */
export class StaleKernelError extends Error {}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** `file` if it exists, else its counterpart under src/ for a file under dist/ (the package ships both). */
function underSrc(file: string): string | null {
  if (existsSync(file)) return file;
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('dist');
  if (at < 0) return null;
  const mapped = [...parts.slice(0, at), 'src', ...parts.slice(at + 1)].join(path.sep);
  return existsSync(mapped) ? mapped : null;
}

/**
 * A kernel's source files: its AssemblyScript file, then every file it imports or re-exports
 * from by a relative path (`import … from './x.as'`, `export { f } from '../y/z.as'`,
 * AssemblyScript's form: no `.ts`), transitively, each once.
 */
export function kernelSourceFiles(entry: string): string[] {
  const files = [path.resolve(entry)];
  for (let i = 0; i < files.length; i++) {
    for (const m of readFileSync(files[i], 'utf8').matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*['"](\.\.?\/[^'"]+)['"]/gm)) {
      const file = path.resolve(path.dirname(files[i]), m[1].endsWith('.ts') ? m[1] : `${m[1]}.ts`);
      if (!files.includes(file)) files.push(file);
    }
  }
  return files;
}

/**
 * The hash a committed binary records of the source it was built from: SHA-256 of the kernel's
 * file alone when it imports nothing (as every kernel's was before any imported another file),
 * else of every source file (kernelSourceFiles) as its path relative to the kernel's directory,
 * a NUL, its bytes, a NUL, so that an edit of an imported file makes the binary stale too.
 */
export function kernelSourceHash(entry: string): string {
  const files = kernelSourceFiles(entry);
  if (files.length === 1) return sha256(readFileSync(files[0]));
  const hash = createHash('sha256');
  const dir = path.dirname(files[0]);
  for (const f of files) hash.update(`${path.relative(dir, f).split(path.sep).join('/')}\0`).update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

/** A kernel's source and the hashes to compare (recorded beside the binary, and actual), or null without a source. */
function sourceState(binaryFile: string, from: WasmKernelSource): { source: string; recorded: string | null; actual: string } | null {
  const source = underSrc(fileURLToPath(from.source));
  if (source === null) return null;
  const sidecar = path.join(path.dirname(source), `${path.basename(binaryFile)}.source-sha256`);
  const recorded = existsSync(sidecar) ? readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0] : null;
  return { source, recorded, actual: kernelSourceHash(source) };
}

/** Every kernel binary checked against its source in this process (its loader registers it at import). */
const registered: { binaryFile: string; from: WasmKernelSource }[] = [];

/**
 * The kernels whose source differs from the one their committed binary was built from (so a run
 * compiles them afresh, or stops): for reports, whose provenance must say that the engine ran
 * code that is in no commit. Hashes only; compiles nothing.
 */
export function editedKernelSources(): string[] {
  const names = registered.filter((k) => {
    const state = sourceState(k.binaryFile, k.from);
    return state !== null && state.recorded !== state.actual;
  });
  return [...new Set(names.map((k) => k.from.name))].sort();
}

/**
 * The AssemblyScript compiler's flags, as scripts/build-wasm.mjs compiles the committed
 * binaries (test/engine/wasm-kernel.test.ts holds the two equal): -O3, stub runtime (every
 * address comes from JavaScript), imported memory, SIMD (f64x2; no relaxed SIMD, so no
 * fused multiply-add), no abort import. Here so that a rebuild needs nothing outside src/.
 */
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--enable', 'simd', '--use', 'abort=', '--noColors'];

/**
 * The binary to load for `from`: the committed one when its recorded source hash is the
 * source's, else a build of the changed source (cached in the temporary directory under a
 * hash of source, flags and compiler version, written atomically so that workers compiling
 * at once do not collide). Why: the committed
 * binary is what runs, so an edit of a kernel's source (a fix under test, a mutant) that
 * nobody recompiled would otherwise be silently ignored, and the claims would judge code that
 * is no longer the source. Without a source to compare (an install without src/) the
 * committed binary is used.
 */
function currentBinary(binaryFile: string, from: WasmKernelSource): { bytes: Buffer; rebuilt?: string } {
  const committed = readFileSync(binaryFile);
  const state = sourceState(binaryFile, from);
  if (state === null || state.recorded === state.actual) return { bytes: committed };
  const { source, recorded, actual } = state;
  const why = `${path.basename(source)} (kernel ${from.name}) is not the source its committed binary ${path.basename(binaryFile)} was built from (source sha256 ${actual.slice(0, 12)}, recorded ${recorded?.slice(0, 12) ?? 'none'})`;
  let asc: string;
  try {
    // The devDependency assemblyscript, found from the source's directory up (a checkout's node_modules).
    asc = createRequire(source).resolve('assemblyscript/bin/asc.js');
  } catch {
    throw new StaleKernelError(`${why}, and the AssemblyScript compiler (devDependency assemblyscript) is not installed to rebuild it: \`npm ci\`, then \`npm run build:wasm\``);
  }
  // Keyed by the source, the flags and the compiler's version: a cached build is reused only if it is what this compile would make.
  const ascVersion = (JSON.parse(readFileSync(path.join(path.dirname(asc), '..', 'package.json'), 'utf8')) as { version: string }).version;
  const key = sha256([actual, ...ASC_FLAGS, ascVersion].join('\0')).slice(0, 16);
  const cache = path.join(tmpdir(), 'vae-claims-wasm');
  const target = path.join(cache, `${from.name}-${key}.wasm`);
  if (!existsSync(target)) {
    mkdirSync(cache, { recursive: true });
    const partial = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    const r = spawnSync(process.execPath, [asc, source, ...ASC_FLAGS, '-o', partial], { cwd: path.dirname(source), encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(partial, { force: true });
      throw new StaleKernelError(`${why}, and rebuilding it failed: ${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(0, 6).join(' | ')}`);
    }
    renameSync(partial, target);
    process.stderr.write(`vae-claims: ${why}; compiled it afresh (${target}); \`npm run build:wasm\` updates the committed binary\n`);
  }
  return { bytes: readFileSync(target), rebuilt: target };
}

export interface WasmKernelBinary {
  /** The compiled module, or why it could not be compiled; compiled at most once. */
  load(): WasmLoad;
  /** The module, or null where it cannot load or the JavaScript kernel is forced. */
  module(): WebAssembly.Module | null;
  /**
   * module() with the switch read at this method's first call only, for entry points called
   * per draw: a read of process.env costs ~150 ns (9% of iwae-snr's profile when its oracle
   * read it at every draw). The switch is set for the whole process (the mutation suite sets it
   * before the process starts); module() and implementation() still read it on every call, for
   * the tests that turn a kernel off and on.
   */
  moduleOnce(): WebAssembly.Module | null;
  /** Which implementation runs by default in this process. */
  implementation(): KernelImplementation;
}

/**
 * A kernel binary at `url` (beside its loader: src/ under tsx, dist/ after `npm run build`,
 * which copies it), loaded synchronously on first use; `envVar` = 'js' forces JavaScript.
 * With `from`, the binary is first checked against its source (currentBinary): a stale one
 * is rebuilt, or, where it cannot be, loading throws StaleKernelError rather than falling
 * back to JavaScript (which would run code other than the source under test without a word).
 */
export function wasmKernelBinary(url: URL, envVar: string, from?: WasmKernelSource): WasmKernelBinary {
  if (from) registered.push({ binaryFile: fileURLToPath(url), from });
  let loaded: WasmLoad | undefined;
  let stale: StaleKernelError | undefined; // thrown again on every use, not rebuilt again
  const load = (): WasmLoad => {
    if (stale) throw stale;
    if (loaded === undefined) {
      let current: { bytes: Buffer; rebuilt?: string };
      try {
        current = from ? currentBinary(fileURLToPath(url), from) : { bytes: readFileSync(url) };
      } catch (e) {
        if (e instanceof StaleKernelError) throw (stale = e);
        return (loaded = { failure: e instanceof Error ? e.message : String(e) });
      }
      try {
        loaded = { module: new WebAssembly.Module(new Uint8Array(current.bytes)), ...(current.rebuilt ? { rebuilt: current.rebuilt } : {}) };
      } catch (e) {
        loaded = { failure: e instanceof Error ? e.message : String(e) };
      }
    }
    return loaded;
  };
  const module = () => {
    if (process.env[envVar] === 'js') return null;
    const l = load();
    return 'module' in l ? l.module : null;
  };
  let once: WebAssembly.Module | null | undefined;
  const moduleOnce = () => (once === undefined ? (once = module()) : once);
  return { load, module, moduleOnce, implementation: () => (module() !== null ? 'wasm-simd' : 'js') };
}

/** The page size of WebAssembly memory. */
export const WASM_PAGE = 65536;
/** Where a kernel's addresses start (the modules have no static data; a margin all the same). */
export const WASM_BASE = 1024;
/** Bytes rounded up to a multiple of 16: every block starts v128-aligned. */
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Grows `memory` to hold at least `bytes` (RangeError where it cannot: the caller falls back to JavaScript). */
export function growTo(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
}

/**
 * When a port whose specification is JavaScript (or TF.js ops) in this repository compares
 * itself with that specification during a run: on its first call and every 1024th. The ports are
 * tested bit for bit in the suite; the run checks again because a held-out bug in either, or a
 * mutant of the specification run with the ports on (which the port would bypass), must not pass
 * unseen: the caller throws on a difference and the claim reads error. Every 1024th keeps the
 * cost near 0.1% and still sees trained parameters, not only initial ones.
 */
export class PortCheckSchedule {
  private calls = 0;

  /** Whether this call is one to compare (counts the call). */
  due(): boolean {
    return this.calls++ % 1024 === 0;
  }
}

/** The first index where two arrays differ bit for bit (Object.is: −0 ≠ +0, NaN = NaN), or −1 where they agree (lengths included). */
export function firstBitDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

