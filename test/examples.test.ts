/**
 * The worked examples (examples/) run through the public API only: the
 * package's own exports (`import ... from 'vae-claims'`, the built dist/),
 * as a user's code would. Each must exit 0 and print its verdicts.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = (file: string) => spawnSync(process.execPath, [path.join(ROOT, 'examples', file)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VAE_CLAIMS_BACKEND: 'wasm' } });

describe('examples (public API only)', () => {
  it('no example imports the library by a deep path', () => {
    for (const f of ['own-optimizer.mjs', 'own-tf-optimizer.mjs', 'own-deep-vae.mjs', 'own-claim.mjs', 'own-vae.mjs', 'matchers.test.ts', 'claims/minibatch-variance.mjs']) {
      const text = readFileSync(path.join(ROOT, 'examples', f), 'utf8');
      // Relative imports may only stay inside examples/ (own-claim.mjs imports its claim file).
      expect(text, f).not.toMatch(/from '(\.\.\/|[^']*\/(src|dist)\/)/);
      expect(text, f).toMatch(/from 'vae-claims'/);
    }
  });

  it('own optimiser: AMSGrad judged by adam-rate-linear-vae, reported under its name', { timeout: 300_000 }, () => {
    const r = run('own-optimizer.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adam-rate-linear-vae\[amsgrad\]: (pass|inconclusive)$/m);
    expect(r.stdout).toMatch(/falsifier constant-step: fail \(caught\)/);
  });

  it('own TF.js optimiser: tf.train.adam under adam-rate-linear-vae reads as the engine\'s Adam', { timeout: 300_000 }, () => {
    const r = run('own-tf-optimizer.mjs');
    expect(r.status, r.stderr).toBe(0);
    const verdict = (id: string) => new RegExp(`^${id.replace(/[[\].]/g, '\\$&')}: (\\w+)$`, 'm').exec(r.stdout)?.[1];
    expect(verdict('adam-rate-linear-vae[tf.train.adam]')).toMatch(/^(pass|inconclusive)$/);
    expect(verdict('adam-rate-linear-vae[tf.train.adam]')).toBe(verdict('adam-rate-linear-vae'));
    // Same draws, same algorithm: the judged slope agrees to float32 rounding (printed to 3 decimals).
    const slopes = [...r.stdout.matchAll(/^ {2}normalisedSlope = (-?\d\.\d+)/gm)].map((m) => Number(m[1]));
    expect(slopes).toHaveLength(2);
    expect(Math.abs(slopes[0] - slopes[1])).toBeLessThanOrEqual(0.002);
    expect(r.stdout).toMatch(/TF\.js autodiff trainer, the user's TF\.js optimiser "tf\.train\.adam"/);
  });

  it('own deep VAE: a TF.js tanh VAE under adam-rate-deep-vae, the engine measured, the network\'s premises not checked', { timeout: 300_000 }, () => {
    const r = run('own-deep-vae.mjs');
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    // Not error: the engine's conformance (optimiser, sampler, unbiasedness on the user's ELBO, seeds) holds.
    expect(r.stdout).toMatch(/^adam-rate-deep-vae\[tanh-vae\]: (pass|inconclusive|fail)$/m);
    expect(r.stdout).toMatch(/assumption unbiased-gradients: met/);
    expect(r.stdout).toMatch(/assumption smooth-activations: not checked/);
    expect(r.stdout).toMatch(/falsifier constant-step: /);
    // Undecided, it is not grown (that would double the user's minutes unasked), and it says so.
    if (/: inconclusive$/m.test(r.stdout)) expect(r.stdout).toMatch(/note: Not grown, .*a user's model \(tanh-vae\) runs at the size it was set to/);
  });

  it('own claim: defineClaim, run and reported like ours, its falsifier caught', { timeout: 120_000 }, () => {
    const r = run('own-claim.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^example-minibatch-variance: pass; slope -\d\.\d+ /m);
    expect(r.stdout).toMatch(/falsifier batch-size-ignored: fail \(caught\)/);
  });

  it('own VAE: a TF.js model through the entropy-sum diagnostic, the gap fully explained', { timeout: 120_000 }, () => {
    const r = run('own-vae.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ELBO F = -?\d+\.\d+ nats\/point, entropy sum S = -?\d+\.\d+, gap F − S = /);
  });
});
