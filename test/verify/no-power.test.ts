/**
 * A check knows when it has no power (issue 11, item 7): when a falsifier is
 * not caught, the claim's own `pass` carries no evidence and must read
 * `inconclusive`, naming the falsifier and what to change. End to end on user
 * data for which short runs cannot tell k^{-1/2} from k^{-1/4}: 600 points
 * uniform on [−1, 1]^10, 300 steps, 4 seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useBackend, type BackendInfo } from '../../src/engine/backend.ts';
import { RandomStream } from '../../src/engine/rng.ts';
import { powerVerdict, runClaim } from '../../src/verify/run-claims.ts';
import { parseOverride } from '../../src/config/overrides.ts';
import { claimById } from '../../src/claims/index.ts';
import { defineClaim } from '../../src/contract/claim.ts';
import { SGL25 } from '../../src/claims/sources.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-no-power-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let backend: BackendInfo;
beforeAll(async () => {
  backend = await useBackend('wasm');
});

describe('powerVerdict', () => {
  const declared = [{ id: 'f', remedy: 'more steps' }];
  it('keeps pass when every falsifier was caught', () => {
    expect(powerVerdict('pass', [{ id: 'f', verdict: 'fail', caught: true }], declared)).toEqual({ verdict: 'pass', notes: [] });
  });
  it('turns pass into inconclusive when a falsifier was let through, naming it and the remedy', () => {
    const r = powerVerdict('pass', [{ id: 'f', verdict: 'pass', caught: false }], declared);
    expect(r.verdict).toBe('inconclusive');
    expect(r.notes.join(' ')).toMatch(/No power.*"f".*more steps/);
  });
  it('leaves fail and error as they are', () => {
    expect(powerVerdict('fail', [{ id: 'f', verdict: 'pass', caught: false }], declared).verdict).toBe('fail');
    expect(powerVerdict('error', [{ id: 'f', verdict: 'pass', caught: false }], declared).verdict).toBe('error');
  });
});

describe('a claim run without power on user data', () => {
  it('reads inconclusive, with the falsifier let through and what to change', { timeout: 120_000 }, async () => {
    const rng = new RandomStream(20261130);
    const rows = Array.from({ length: 600 }, () => Array.from({ length: 10 }, () => (2 * rng.uniform() - 1).toFixed(6)).join(','));
    const file = path.join(dir, 'uniform.csv');
    writeFileSync(file, rows.join('\n'));
    const claim = claimById('sgd-rate-linear-vae')!;
    const result = await runClaim(claim, {
      claims: [claim],
      tier: 'quick',
      seed: 1,
      backend,
      dataFile: file,
      overrides: [parseOverride('steps=300'), parseOverride('seeds=4')],
    });
    const missed = result.falsifiers.filter((f) => !f.caught);
    expect(missed.length).toBeGreaterThan(0);
    expect(result.verdict).toBe('inconclusive');
    const note = result.notes.find((n) => n.startsWith('No power'));
    expect(note).toContain(missed[0].id);
    expect(note).toMatch(/--set steps=/);
  });
});

describe('grow once when the first run had no power', () => {
  /** Decides only with ≥ 8 seeds: with 4 its falsifier is let through. */
  const needsSeeds = (grow: boolean | 'decline', onCheck = () => {}) =>
    defineClaim<{ seeds: number; mutated: boolean }>({
      id: 'fake-needs-seeds',
      title: 'fake',
      family: 'convergence',
      source: SGL25,
      statement: 'fake',
      assumptions: [],
      tiers: { quick: { seeds: 4, mutated: false }, full: { seeds: 4, mutated: false } },
      falsifiers: [{ id: 'mutation', description: 'fake', expected: 'fail', mutate: (c) => ({ ...c, mutated: true }) }],
      async check(configs) {
        onCheck();
        return configs.map((c) => ({ verdict: c.mutated ? (c.seeds >= 8 ? 'fail' : 'inconclusive') : 'pass', metrics: { seeds: { value: c.seeds } } }));
      },
      ...(grow === 'decline' ? { grow: () => ({ declined: 'a test declines' }) } : {}),
      ...(grow === true ? { grow: (c: { seeds: number; mutated: boolean }) => ({ config: { ...c, seeds: 2 * c.seeds }, what: `${2 * c.seeds} seeds instead of ${c.seeds}` }) } : {}),
    });

  it('a claim that opts in is re-run once with its grown configuration, and says so', async () => {
    const claim = needsSeeds(true);
    const r = await runClaim(claim, { claims: [claim], tier: 'quick', seed: 1, backend });
    expect(r.verdict).toBe('pass');
    expect(r.falsifiers[0]).toMatchObject({ verdict: 'fail', caught: true });
    expect(r.metrics.seeds.value).toBe(8);
    expect(r.notes.join(' ')).toMatch(/Grown once \(8 seeds instead of 4\) because the first run had no power: falsifier\(s\) not caught: mutation \(inconclusive\)/);
  });

  it('a claim whose grow declines keeps its first run, runs the check once, and says why', async () => {
    let runs = 0;
    const claim = needsSeeds('decline', () => runs++);
    const r = await runClaim(claim, { claims: [claim], tier: 'quick', seed: 1, backend });
    expect(runs).toBe(1);
    expect(r.verdict).toBe('inconclusive');
    expect(r.metrics.seeds.value).toBe(4);
    expect(r.notes.join(' ')).toMatch(/Not grown, although the first run had no power \(falsifier\(s\) not caught: mutation \(inconclusive\)\): a test declines\./);
    expect(r.notes.join(' ')).not.toMatch(/Grown once/);
  });

  it('a claim that does not opt in keeps its first run (and reads inconclusive)', async () => {
    const claim = needsSeeds(false);
    const r = await runClaim(claim, { claims: [claim], tier: 'quick', seed: 1, backend });
    expect(r.verdict).toBe('inconclusive');
    expect(r.notes.join(' ')).not.toMatch(/Grown once/);
  });
});
