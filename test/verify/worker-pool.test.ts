/**
 * Worker processes: results do not depend on the number of workers; a claim
 * over its time limit, a worker that dies and a claim that throws each cost
 * only that claim; aborting keeps what finished.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dispatchOrder, runClaimsInPool } from '../../src/verify/worker-pool.ts';
import { CLAIMS } from '../fixtures/pool-claims.ts';
import type { ClaimResult } from '../../src/contract/result.ts';

const registryModule = pathToFileURL(fileURLToPath(new URL('../fixtures/pool-claims.ts', import.meta.url))).href;
const backend = { name: 'cpu', tfjsVersion: '4', precision: 'float32' as const };
const byId = (ids: string[]) => ids.map((id) => CLAIMS.find((c) => c.id === id)!);
const strip = (r: ClaimResult) => ({ id: r.id, verdict: r.verdict, metrics: r.metrics, falsifiers: r.falsifiers.map((f) => f.verdict) });

describe('dispatchOrder', () => {
  it('hands out the longest estimate first, claims with no estimate before all, ties in selection order', () => {
    const claims = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
    expect(dispatchOrder(claims)).toEqual([0, 1, 2, 3, 4]);
    expect(dispatchOrder(claims, { a: 5, b: 600, c: null, d: 5, e: 40 })).toEqual([2, 1, 4, 0, 3]);
    expect(dispatchOrder(claims, { a: 1 })).toEqual([1, 2, 3, 4, 0]);
  });
});

describe('runClaimsInPool', () => {
  it('gives the same results with 1 and 2 workers, in selection order', { timeout: 120_000 }, async () => {
    const claims = byId(['echo-a', 'echo-b', 'echo-c']);
    const one = await runClaimsInPool({ claims, tier: 'quick', seed: 5, backend, workers: 1, registryModule });
    const two = await runClaimsInPool({ claims, tier: 'quick', seed: 5, backend, workers: 2, registryModule });
    expect(one.results.map(strip)).toEqual(two.results.map(strip));
    expect(one.results.map((r) => r.id)).toEqual(['echo-a', 'echo-b', 'echo-c']);
    expect(one.results.every((r) => r.verdict === 'pass')).toBe(true);
  });

  it('turns a timeout, a dead worker and a throw into "error" and keeps the others', { timeout: 120_000 }, async () => {
    const claims = byId(['echo-a', 'busy-long', 'crash-exit', 'throws', 'echo-b']);
    const events: string[] = [];
    const out = await runClaimsInPool({
      claims,
      tier: 'quick',
      seed: 1,
      backend,
      workers: 2,
      registryModule,
      claimTimeoutMs: 8_000,
      onEvent: (e) => e.kind !== 'claim-progress' && events.push(`${e.kind}:${e.id}`),
    });
    const verdicts = Object.fromEntries(out.results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({ 'echo-a': 'pass', 'busy-long': 'error', 'crash-exit': 'error', throws: 'error', 'echo-b': 'pass' });
    const error = (id: string) => out.results.find((r) => r.id === id)!.error;
    expect(error('busy-long')).toMatch(/time limit of 8\.0 s/);
    expect(error('crash-exit')).toMatch(/worker process died \(exit code 3\)/);
    expect(error('throws')).toMatch(/fixture check threw/);
    for (const c of claims) expect(events).toContain(`claim-end:${c.id}`);
    expect(out.interrupted).toBe(false);
  });

  it('an abort stops the workers and keeps finished claims', { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    const claims = byId(['echo-a', 'busy-long', 'echo-b']);
    const run = runClaimsInPool({
      claims,
      tier: 'quick',
      seed: 1,
      backend,
      workers: 1,
      registryModule,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'claim-start' && e.id === 'busy-long') setTimeout(() => controller.abort(), 500);
      },
    });
    const out = await run;
    expect(out.interrupted).toBe(true);
    expect(out.results.map((r) => r.id)).toEqual(['echo-a']);
    expect(out.notRun).toEqual(['busy-long', 'echo-b']);
  });
});
