/**
 * Backend selection. Default: the WebAssembly backend (ships its .wasm, works
 * offline, ~25x the plain cpu backend's matmul throughput here). `cpu` on
 * request. `tensorflow` (tfjs-node) only when it is installed and loads: it is
 * never a dependency, because its install downloads libtensorflow.
 * Whatever runs is reported: callers record `BackendInfo` in every report.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export const BACKEND_NAMES = ['wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_ENV_VAR = 'VAE_CLAIMS_BACKEND';

import type { BackendInfo } from '../contract/claim.ts';
import { installBatchMatMul } from './batch-matmul-kernel.ts';
import { installCopyKernels } from './copy-kernels.ts';
import { installSum } from './sum-kernel.ts';
import { tfjsAdamImplementation } from './tfjs-adam-kernel.ts';

export type { BackendInfo };

export class BackendError extends Error {
  override name = 'BackendError';
}

export function parseBackendName(raw: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(raw)) return raw as BackendName;
  throw new BackendError(`unknown backend "${raw}"; allowed: ${BACKEND_NAMES.join(', ')}`);
}

async function loadTfjsNode(): Promise<void> {
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const name = '@tensorflow/tfjs-node';
    await import(name);
  } catch (err) {
    throw new BackendError(
      `backend "tensorflow" needs @tensorflow/tfjs-node installed and loadable ` +
        `(it is optional and not a dependency): ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

let active: BackendInfo | null = null;

/** Select and initialise a backend; explicit name, else $VAE_CLAIMS_BACKEND, else wasm. */
export async function useBackend(requested?: string): Promise<BackendInfo> {
  const name = parseBackendName(requested ?? process.env[BACKEND_ENV_VAR] ?? 'wasm');
  if (active && active.name === name && tf.getBackend() === name) return active;
  if (name === 'tensorflow') await loadTfjsNode();
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(`backend "${name}" failed to initialise (tf.getBackend() = ${tf.getBackend()})`);
  }
  await tf.ready();
  // The WebAssembly backend's batched and transposed products, tiles, gathers and column sums
  // through faster kernels that compute the same bits (batch-matmul-kernel.ts,
  // copy-kernels.ts, sum-kernel.ts).
  const kernels: string[] = [];
  if (name === 'wasm') {
    if (installBatchMatMul() === 'wasm-simd') kernels.push('BatchMatMul');
    if (installCopyKernels()) kernels.push('Tile', 'GatherV2', 'Slice', 'SplitV', 'Identity');
    if (installSum() === 'wasm-simd') kernels.push('Sum');
    if (tfjsAdamImplementation() === 'wasm-simd') kernels.push('Adam (fused)');
  }
  active = { name: tf.getBackend(), tfjsVersion: tf.version.tfjs, precision: 'float32', ...(kernels.length ? { kernels } : {}) };
  return active;
}

export { tf };
