/**
 * `verify --set path=value`: change one setting of the selected claims'
 * configurations (e.g. schedule.C=0.1, batchSize=64, optimizer.beta1=0.95,
 * widths=[64,256]). A setting applies to every selected claim whose
 * configuration has that path; the result is validated (hyperparameters.ts)
 * before anything trains.
 */
import { cloneConfig } from './clone.ts';
import { InvalidConfigError, validateConfig } from './hyperparameters.ts';
import type { ConfigSchema } from '../contract/claim.ts';

export interface Override {
  path: string[];
  value: unknown;
  /** As the user wrote it, for messages and report notes. */
  text: string;
}

export class OverrideError extends Error {
  override name = 'OverrideError';
}

/** "a.b=value": the value as JSON when it parses (numbers, arrays, booleans), else as a string. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new OverrideError(`--set "${text}": expected path=value, e.g. schedule.C=0.1`);
  const path = text.slice(0, eq).trim().split('.');
  if (path.some((p) => p === '')) throw new OverrideError(`--set "${text}": empty name in the path`);
  const raw = text.slice(eq + 1).trim();
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { path, value, text };
}

function has(config: unknown, path: readonly string[]): boolean {
  let v: unknown = config;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return false;
    v = (v as Record<string, unknown>)[key];
  }
  return true;
}

/** Every leaf setting's path in a configuration (for "unknown setting" messages). */
export function settingPaths(config: unknown, prefix: string[] = []): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [prefix.join('.')];
  return Object.entries(config).flatMap(([k, v]) => settingPaths(v, [...prefix, k]));
}

/** The configuration with the overrides that apply to it; `applied` lists them. */
export function applyOverrides<T>(config: T, overrides: readonly Override[]): { config: T; applied: Override[] } {
  const applied = overrides.filter((o) => has(config, o.path));
  if (applied.length === 0) return { config, applied };
  const copy = cloneConfig(config) as Record<string, unknown>;
  for (const o of applied) {
    let target = copy;
    for (const key of o.path.slice(0, -1)) target = target[key] as Record<string, unknown>;
    target[o.path[o.path.length - 1]] = o.value;
  }
  return { config: copy as T, applied };
}

/**
 * Pre-flight for a run: every override must apply to at least one selected
 * claim, and every selected claim's resulting configuration must validate.
 * Throws OverrideError / InvalidConfigError with the allowed ranges.
 */
export function checkOverrides(claims: readonly { id: string; config: unknown; schema?: ConfigSchema<unknown> }[], overrides: readonly Override[]): void {
  for (const o of overrides) {
    if (!claims.some((c) => has(c.config, o.path))) {
      const example = claims[0];
      throw new OverrideError(
        `--set ${o.text}: no selected claim has a setting "${o.path.join('.')}"` +
          (example ? `; settings of ${example.id}: ${settingPaths(example.config).join(', ')}` : ''),
      );
    }
  }
  for (const c of claims) validateConfig(c.id, applyOverrides(c.config, overrides).config, 'configuration', c.schema);
}

export { InvalidConfigError };
