/**
 * Where a report came from: tool version, git commit (null outside a
 * checkout), whether the tree was dirty, the machine, and the installed
 * versions of the packages that shape the numbers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from '../contract/result.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Packages whose versions a report records when installed (optional ones are skipped when absent). */
export const RECORDED_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-node',
  'ml-matrix',
  'mathjs',
  'pure-rand',
  'mnist',
  'vega',
  'vega-lite',
] as const;

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

export function gitCommit(): string | null {
  return git(['rev-parse', 'HEAD'])?.trim() || null;
}

/** True when tracked files have uncommitted changes; null outside a checkout. */
export function gitDirty(): boolean | null {
  const out = git(['status', '--porcelain', '--untracked-files=no']);
  return out === null ? null : out.trim().length > 0;
}

/** Installed versions, read from node_modules/<name>/package.json (exports maps may hide it from require). */
export function packageVersions(names: readonly string[] = RECORDED_PACKAGES): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    const file = path.join(ROOT, 'node_modules', ...name.split('/'), 'package.json');
    if (!existsSync(file)) continue;
    try {
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      // An unreadable manifest is not worth failing a run over; the package is simply not listed.
    }
  }
  return versions;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return { cores: cpus.length, cpuModel: cpus[0]?.model?.trim() ?? 'unknown', memoryBytes: os.totalmem() };
}
