/**
 * Runs claims in parallel worker processes. The wasm backend is
 * single-threaded in Node, so two workers use both cores; and a process per
 * claim is what makes a per-claim time limit, an interrupt and a hard crash
 * (out of memory, native abort) cost only that claim, never the others'
 * results. Results come back in selection order whatever the worker count.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Claim } from '../contract/claim.ts';
import { errorResult, type RunOptions } from './run-claims.ts';
import type { ClaimResult } from '../contract/result.ts';
import type { RunRequest, WorkerMessage } from './worker.ts';

export interface PoolOptions extends RunOptions {
  workers: number;
  /** Per-claim wall-clock limit; a claim over it is stopped and reported as "error". */
  claimTimeoutMs?: number;
  /** Aborting stops every worker; finished claims are kept, the rest are listed as not run. */
  signal?: AbortSignal;
  /** Module exporting CLAIMS that workers load (default: src/claims/index.ts). */
  registryModule?: string;
  /** The user's claim modules (`--claims`) that workers add to the registry. */
  userModules?: string[];
  /**
   * Estimated seconds per claim id (src/verify/estimate.ts): claims are handed out longest
   * first (those with no estimate before all, as they may be long), which bounds the wall
   * time by the longest claim plus an even share instead of leaving a long claim that comes
   * late in the selection to run alone at the end. Absent: selection order.
   */
  estimatedSeconds?: Record<string, number | null>;
}

/** Indices of `claims` in dispatch order: longest estimate first, unknown first of all; ties keep selection order. */
export function dispatchOrder(claims: readonly Pick<Claim, 'id'>[], estimatedSeconds?: Record<string, number | null>): number[] {
  const order = claims.map((_, i) => i);
  if (!estimatedSeconds) return order;
  const key = (i: number) => estimatedSeconds[claims[i].id] ?? Infinity;
  return order.sort((a, b) => key(b) - key(a) || a - b);
}

export interface PoolOutcome {
  /** Finished claims, in selection order (unfinished ones omitted). */
  results: ClaimResult[];
  /** Ids that never finished because the run was interrupted. */
  notRun: string[];
  interrupted: boolean;
}

// Run from source (tsx) or from the built package (dist/, plain JavaScript): the worker is this module's sibling either way.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url));

function spawnWorker(): ChildProcess {
  const loader = FROM_SOURCE ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return fork(WORKER_ENTRY, [], {
    execArgv: loader,
    serialization: 'advanced',
    // Worker output would corrupt --json on stdout: route all of it to stderr.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

export async function runClaimsInPool(opts: PoolOptions): Promise<PoolOutcome> {
  const { claims, workers, claimTimeoutMs, signal } = opts;
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers = ${workers}; allowed an integer ≥ 1`);
  const emit = opts.onEvent ?? (() => {});
  const results: (ClaimResult | undefined)[] = new Array(claims.length);
  const live = new Set<ChildProcess>();
  const order = dispatchOrder(claims, opts.estimatedSeconds);
  let next = 0;
  let interrupted = signal?.aborted ?? false;

  const stopAll = () => {
    interrupted = true;
    for (const child of live) child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', stopAll, { once: true });

  /** Runs one claim on `child`; `replace` says the worker is gone or must not be reused. */
  const runOn = (child: ChildProcess, claim: Claim, index: number): Promise<{ result: ClaimResult; replace: boolean }> =>
    new Promise((resolve) => {
      const started = performance.now();
      let sawStart = false;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (result: ClaimResult, replace: boolean, reportedByWorker: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (!reportedByWorker) {
          if (!sawStart) emit({ kind: 'claim-start', id: claim.id, index, total: claims.length });
          emit({ kind: 'claim-end', id: claim.id, result });
        }
        resolve({ result, replace });
      };
      const fail = (reason: string, replace: boolean) => settle(errorResult(claim, opts, reason, performance.now() - started), replace, false);
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'fatal') return fail(m.message, false);
        emit(m.event);
        if (m.event.kind === 'claim-start') {
          sawStart = true;
          // The limit covers the claim's own work, not the worker's start-up (loading TensorFlow.js).
          if (claimTimeoutMs !== undefined) {
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              fail(`exceeded the per-claim time limit of ${(claimTimeoutMs / 1000).toFixed(1)} s (--claim-timeout) and was stopped`, true);
            }, claimTimeoutMs);
          }
        }
        if (m.event.kind === 'claim-end') settle(m.event.result, false, true);
      };
      const onExit = (code: number | null, sig: NodeJS.Signals | null) =>
        fail(interrupted ? 'interrupted' : `worker process died (${sig ? `signal ${sig}` : `exit code ${code}`}) while running the claim`, true);
      child.on('message', onMessage);
      child.once('exit', onExit);
      const request: RunRequest = {
        type: 'run',
        claimId: claim.id,
        index,
        total: claims.length,
        tier: opts.tier,
        seed: opts.seed,
        backend: opts.backend.name,
        registryModule: opts.registryModule,
        userModules: opts.userModules,
        overrides: opts.overrides ? [...opts.overrides] : undefined,
        dataFile: opts.dataFile,
      };
      child.send(request);
    });

  const lane = async () => {
    let child: ChildProcess | null = null;
    try {
      while (!interrupted && next < claims.length) {
        const index = order[next++];
        if (!child) {
          child = spawnWorker();
          live.add(child);
          child.stdout?.pipe(process.stderr);
          child.stderr?.pipe(process.stderr);
        }
        const { result, replace } = await runOn(child, claims[index], index);
        if (interrupted) break;
        results[index] = result;
        if (replace) {
          live.delete(child);
          child.kill('SIGKILL');
          child = null;
        }
      }
    } finally {
      if (child) {
        live.delete(child);
        if (child.connected) child.disconnect();
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(workers, claims.length) }, lane));
  signal?.removeEventListener('abort', stopAll);
  const finished = results.filter((r): r is ClaimResult => r !== undefined);
  const notRun = claims.filter((_, i) => results[i] === undefined).map((c) => c.id);
  return { results: finished, notRun, interrupted };
}
