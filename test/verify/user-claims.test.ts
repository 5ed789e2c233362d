/**
 * `--claims DIR|FILE`: a user's own claim files join the registry and are run,
 * judged and reported like ours (their falsifiers too), through the worker
 * processes as in a real run; bad claim files exit 2 with one line naming the
 * file and the problem, before anything trains.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { claimModules, ClaimFileError } from '../../src/verify/registry.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sink() {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
}

async function cli(args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(['node', 'vae-claims', ...args], { stdout: out.stream, stderr: err.stream, tty: false });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('--claims: the user\'s own claim files', () => {
  it('runs a directory of claim files in worker processes and reports them like ours', { timeout: 180_000 }, () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'user-claims-'));
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/vae-claims.js'), 'verify', '--claims', 'examples/claims', '--claim', 'example-minibatch-variance', '--tier', 'quick', '--out', out, '--quiet'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VAE_CLAIMS_BACKEND: 'wasm' } },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.claims.map((c: { id: string }) => c.id)).toEqual(['example-minibatch-variance']);
    const claim = report.claims[0];
    expect(claim.verdict).toBe('pass');
    expect(claim.falsifiers).toHaveLength(1);
    expect(claim.falsifiers[0]).toMatchObject({ id: 'batch-size-ignored', caught: true });
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toMatch(/example-minibatch-variance/);
  });

  it('lists the user\'s claims after ours', async () => {
    const r = await cli(['list', '--claims', 'examples/claims', '--json']);
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout).map((c: { id: string }) => c.id);
    expect(ids.at(-1)).toBe('example-minibatch-variance');
    expect(ids).toContain('sgd-rate-linear-vae');
  });

  it('a directory gives its modules sorted by name, not tests or declarations', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'claims-dir-'));
    for (const f of ['b.mjs', 'a.ts', 'c.test.ts', 'd.d.ts', 'notes.md']) writeFileSync(path.join(dir, f), '');
    expect(claimModules([dir]).map((u) => path.basename(new URL(u).pathname))).toEqual(['a.ts', 'b.mjs']);
  });

  const bad: [string, (dir: string) => string, RegExp][] = [
    ['a path that does not exist', (dir) => path.join(dir, 'nope'), /--claims .*nope: no such file or directory/],
    [
      'an empty directory',
      (dir) => {
        mkdirSync(path.join(dir, 'empty'));
        return path.join(dir, 'empty');
      },
      /holds no claim module/,
    ],
    [
      'a file that exports no claim',
      (dir) => {
        writeFileSync(path.join(dir, 'none.mjs'), 'export const x = 1;\n');
        return path.join(dir, 'none.mjs');
      },
      /none\.mjs exports no claim/,
    ],
    [
      'a claim without a check',
      (dir) => {
        writeFileSync(path.join(dir, 'nocheck.mjs'), "export default { id: 'mine', title: 't', statement: 's', tiers: { quick: {}, full: {} }, falsifiers: [] };\n");
        return path.join(dir, 'nocheck.mjs');
      },
      /claim mine has no check function/,
    ],
    [
      'an id that is already ours',
      (dir) => {
        writeFileSync(
          path.join(dir, 'dup.mjs'),
          "export default { id: 'sgd-rate-linear-vae', title: 't', statement: 's', tiers: { quick: {}, full: {} }, falsifiers: [], check: async () => [] };\n",
        );
        return path.join(dir, 'dup.mjs');
      },
      /claim id "sgd-rate-linear-vae" in dup\.mjs is already defined in the built-in registry/,
    ],
    [
      'a module that does not load',
      (dir) => {
        writeFileSync(path.join(dir, 'broken.mjs'), 'export default {\n');
        return path.join(dir, 'broken.mjs');
      },
      /claims file .*broken\.mjs could not be loaded: /,
    ],
  ];
  it.each(bad)('%s: exit 2, one line, nothing run', async (_what, make, message) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bad-claims-'));
    const target = make(dir);
    const r = await cli(['verify', '--claims', target, '--tier', 'quick', '--out', path.join(dir, 'out'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('ClaimFileError is what the CLI maps to exit 2', () => {
    expect(() => claimModules(['/definitely/not/here'])).toThrow(ClaimFileError);
  });
});
