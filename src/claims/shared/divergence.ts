/**
 * Divergence inside a shared replica batch. Replicas are independent, but
 * ReplicaTrainer stops the whole batch when one replica's objective or
 * parameters stop being finite. A diverged run has G_n → ∞, so the rate (or
 * any convergence statement) cannot hold for the configuration it belongs to:
 * that configuration's verdict is 'fail', with the step recorded. The other
 * configurations of the batch lose nothing: the batch is retrained without
 * the diverged configuration (same seeds and streams, so the same
 * trajectories as if it had never been there). No cost unless a divergence
 * happens; typically a falsifier (a constant step beyond the stability
 * limit of some seed) diverges within a few dozen iterations.
 */
import { DivergenceError } from '../../engine/trainer.ts';
import type { CheckResult } from '../../contract/claim.ts';

export interface Diverged {
  diverged: { step: number; replica: string; message: string };
}

export function isDiverged(x: unknown): x is Diverged {
  return typeof x === 'object' && x !== null && 'diverged' in x;
}

/** Replica labels of a batch carry their configurations: "config 0+2, …" (several when a replica is shared). */
export function configLabel(configs: readonly number[]): string {
  return `config ${configs.join('+')}`;
}

function configsOfLabel(label: string): number[] {
  const m = /^config ([\d+]+)/.exec(label);
  if (!m) throw new Error(`replica label "${label}" does not name its configuration`);
  return m[1].split('+').map(Number);
}

/**
 * Run `attempt` on the active configurations (indices into the caller's
 * list); on a DivergenceError, mark the configurations of the diverged
 * replica and retry with the rest. attempt returns one result per active
 * configuration, in order.
 */
export function withDivergenceRetry<T>(count: number, attempt: (active: number[]) => T[]): (T | Diverged)[] {
  const results: (T | Diverged)[] = new Array(count);
  let active = Array.from({ length: count }, (_, i) => i);
  while (active.length > 0) {
    try {
      const out = attempt(active);
      active.forEach((c, i) => (results[c] = out[i]));
      return results;
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      const hit = configsOfLabel(err.replica).filter((c) => active.includes(c));
      if (hit.length === 0) throw err;
      for (const c of hit) results[c] = { diverged: { step: err.step, replica: err.replica, message: err.message } };
      active = active.filter((c) => !hit.includes(c));
    }
  }
  return results;
}

/** The verdict of a configuration whose training diverged. */
export function divergedResult(d: Diverged, what = 'G_n'): CheckResult {
  return {
    verdict: 'fail',
    diverged: d.diverged,
    metrics: { divergedAtStep: { value: d.diverged.step, criterion: `finite training (a diverged run has ${what} → ∞)` } },
    notes: [`Training diverged: ${d.diverged.message}. ${what} → ∞, so the statement cannot hold for this configuration.`],
  };
}
