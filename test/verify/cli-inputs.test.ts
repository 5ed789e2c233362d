/**
 * Hostile inputs to `verify` (issue 7): bad data files and out-of-range
 * hyperparameters exit 2 with one clear message naming the file and row, or
 * the claim, setting and allowed range — before any claim trains (the fake
 * backend below throws if anything asks for it). In-process against the real
 * registry: same main() as the bin, without a child process's start-up.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { captureStream } from '../report/cli-harness.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vae-claims-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const row = (d: number, v = 0.5) => Array.from({ length: d }, (_, j) => (v + j / 10).toFixed(2)).join(',');
const rows = (n: number, d: number) => Array.from({ length: n }, (_, i) => row(d, i / n)).join('\n');

async function verify(...args: string[]): Promise<{ code: number; stderr: string }> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(['node', 'vae-claims', 'verify', '--tier', 'quick', '--quiet', '--out', path.join(dir, 'out'), ...args], {
    stdout,
    stderr,
    useBackend: async () => {
      throw new Error('a rejected input must not reach backend initialisation');
    },
  });
  return { code, stderr: stderr.text() };
}

describe('verify --data FILE', () => {
  const cases: [string, () => string, RegExp][] = [
    ['ragged rows', () => file('ragged.csv', `${row(10)}\n${row(10)}\n${row(9)}\n`), /ragged\.csv, row 3: has 9 values, but the first row has 10 \(ragged rows\)/],
    ['a non-numeric cell', () => file('text.csv', `${row(10)}\n0.1,0.2,abc,0.4,0.5,0.6,0.7,0.8,0.9,1.0\n`), /text\.csv, row 2: column 3 is not a number: "abc"/],
    ['NaN', () => file('nan.csv', `${row(10)}\n${row(10)}\nNaN,${row(9)}\n`), /nan\.csv, row 3: column 1 is NaN: only finite numbers are allowed/],
    ['Inf', () => file('inf.csv', `${row(10)}\n${row(9)},Infinity\n`), /inf\.csv, row 2: column 10 is Infinity: only finite numbers are allowed/],
    ['non-finite JSON', () => file('big.json', `[[${row(10)}],[${row(9)},1e999]]`), /big\.json, row 2: column 10 is not finite/],
    ['a value beyond float32 range (CSV)', () => file('f32.csv', `${row(10)}\n${row(9)},1e308\n`), /f32\.csv, row 2: column 10 is 1e\+308: beyond float32 range/],
    ['a value beyond float32 range (JSON)', () => file('f32.json', `[[${row(10)}],[-4e38,${row(9)}]]`), /f32\.json, row 2: column 1 is -4e\+38: beyond float32 range/],
    ['a binary file', () => file('binary.csv', '\u0000\u0001\u0002ELF\u0000\u0000\u0003'), /binary\.csv: is a binary file, not CSV or JSON text/],
    ['control bytes in a cell (escaped, never echoed raw)', () => file('ctl.csv', `${row(10)}\na\u0001b,${row(9)}\n`), /ctl\.csv, row 2: column 1 is not a number: "a\\x01b"/],
    ['the wrong dimension', () => file('d7.csv', rows(50, 7)), /d7\.csv: has 7 columns, but sgd-rate-linear-vae .* needs 10 \(wrong dimension\)/],
    ['an empty file', () => file('empty.csv', ''), /empty\.csv: is empty/],
    ['a header and no rows', () => file('header.csv', 'a,b,c\n'), /header\.csv: no data rows/],
    ['malformed JSON', () => file('bad.json', '[[1,2'), /bad\.json: is not valid JSON/],
    ['a file that is not there', () => path.join(dir, 'missing.csv'), /missing\.csv: no such file/],
    ['fewer rows than the batch size', () => file('small.csv', rows(8, 10)), /batchSize = 32: allowed batch size B: an integer 1 ≤ B ≤ N = 8/],
  ];
  it.each(cases)('%s: exit 2 naming the file and row', async (_name, make, message) => {
    const r = await verify('--claim', 'sgd-rate-linear-vae', '--data', make());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a data file with no data-taking claim selected is a usage error naming the claims that take data', async () => {
    const r = await verify('--claim', 'ntk-init-limit', '--data', file('ok.csv', rows(100, 10)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none of the selected claims takes data; claims that do: sgd-rate-linear-vae, adam-rate-linear-vae, .*entropy-gmm, entropy-ppca/);
  });
});

describe('verify --set path=value', () => {
  const cases: [string[], RegExp][] = [
    [['--claim', 'sgd-rate-linear-vae', '--set', 'schedule.C=0'], /sgd-rate-linear-vae: invalid configuration: schedule\.C = 0: allowed step constant C > 0/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'schedule.C=-0.1'], /schedule\.C = -0\.1: allowed step constant C > 0/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'batchSize=0'], /batchSize = 0: allowed batch size B: an integer ≥ 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'batchSize=2001'], /batchSize = 2001: allowed batch size B: an integer 1 ≤ B ≤ N = 2000/],
    [['--claim', 'samples-effect', '--set', 'run.samples=0'], /samples-effect: invalid configuration: run\.samples = 0: allowed samples K: an integer ≥ 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'samples=0'], /samples = 0: allowed samples K: an integer ≥ 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'beta=-1'], /beta = -1: allowed β ≥ 0/],
    [['--claim', 'ntk-init-limit', '--set', 'widths=[64,0]'], /ntk-init-limit: invalid configuration: widths\.1 = 0: allowed width m: an even integer ≥ 2/],
    [['--claim', 'adam-rate-linear-vae', '--set', 'optimizer.beta1=1'], /optimizer\.beta1 = 1: allowed Adam β1: 0 ≤ β1 < 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'schedule.alpha=2'], /schedule\.alpha = 2: allowed step exponent α: 0 ≤ α ≤ 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'maxAveragingRatio=-1'], /sgd-rate-linear-vae: invalid configuration: maxAveragingRatio = -1: allowed averaging ratio threshold: a finite number > 0/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'data.noiseStd=0'], /data\.noiseStd = 0: allowed data noise standard deviation: a finite number > 0/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'schedule.C=NaN'], /schedule\.C = "NaN": .*; allowed step constant C > 0 \(finite\)/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'steps=1.5'], /steps = 1\.5: allowed steps: an integer ≥ 1/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'seeds=1'], /seeds = 1: allowed seeds: an integer ≥ 2 \(the intervals bootstrap over seeds\)/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'no.such=1'], /--set no\.such=1: no selected claim has a setting "no\.such"; settings of sgd-rate-linear-vae: .*schedule\.C/],
    [['--claim', 'sgd-rate-linear-vae', '--set', 'schedule.C'], /--set "schedule\.C": expected path=value/],
    [['--claim', 'sgd-rate-linear-vae', '--backend', 'tpu'], /Allowed choices are wasm, cpu, tensorflow/],
    [['--claim', 'no-such-claim'], /--claim "no-such-claim" matches no claim/],
  ];
  it.each(cases)('%j exits 2 with the allowed range', async (args, message) => {
    const r = await verify(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('verify --out: checked before any training', () => {
  const cases: [string, RegExp][] = [
    ['/proc/x', /--out \/proc\/x: \/proc is a pseudo-filesystem/],
    ['/proc/self/fd/x/y', /pseudo-filesystem/],
    ['/sys/foo', /--out \/sys\/foo: \/sys is a pseudo-filesystem/],
    ['/dev/null', /--out \/dev\/null: \/dev is a pseudo-filesystem/],
  ];
  it.each(cases)('--out %s exits 2 within 2 s, one line, no stack trace', async (out, message) => {
    const t0 = performance.now();
    const r = await verify('--claim', 'iwae-bias', '--out', out);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a regular file, or a path under one, exits 2', async () => {
    const f = file('not-a-dir', 'x');
    expect((await verify('--claim', 'iwae-bias', '--out', f)).stderr).toMatch(/exists and is not a directory/);
    const r = await verify('--claim', 'iwae-bias', '--out', path.join(f, 'sub'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-a-dir is not a directory/);
  });
});

describe('verify --claim accepts space-separated ids', () => {
  it('`--claim a b` selects both (checked here through a rejected --set that names each claim)', async () => {
    const r = await verify('--claim', 'sgd-rate-linear-vae', 'adam-rate-linear-vae', '--set', 'schedule.C=0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sgd-rate-linear-vae/);
    expect(r.stderr).not.toMatch(/too many arguments/);
  });
});
