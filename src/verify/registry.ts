/**
 * Where claims come from: src/claims/index.ts by default, or any module exporting
 * `CLAIMS` named by $VAE_CLAIMS_REGISTRY (a path or file URL), for plugins
 * and for tests that need claims a worker process can load by id; plus the
 * user's own claim files (`--claims DIR|FILE`), added to the registry and run
 * and reported like ours.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Claim } from '../contract/claim.ts';

export const REGISTRY_ENV_VAR = 'VAE_CLAIMS_REGISTRY';

/** A claims file or directory that cannot be used (exit 2, one line). */
export class ClaimFileError extends Error {
  override name = 'ClaimFileError';
}

export function registryModuleFromEnv(): string | undefined {
  const raw = process.env[REGISTRY_ENV_VAR];
  if (!raw) return undefined;
  return raw.startsWith('file:') ? raw : pathToFileURL(path.resolve(raw)).href;
}

/** Module files a claims directory contributes: .js, .mjs, .ts and .mts files directly in it (not tests, not declarations). */
const CLAIM_FILE = /^(?!.*\.(test|spec|d)\.[cm]?[jt]s$).*\.(m?js|m?ts)$/;

/**
 * The module URLs that `--claims` arguments name: a file is itself; a
 * directory gives every claim module directly inside it, sorted by name so the
 * registry order does not depend on the file system.
 */
export function claimModules(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new ClaimFileError(`--claims ${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(abs)
        .filter((f) => CLAIM_FILE.test(f) && statSync(path.join(abs, f)).isFile())
        .sort();
      if (files.length === 0) throw new ClaimFileError(`--claims ${p}: the directory holds no claim module (*.js, *.mjs, *.ts, *.mts)`);
      for (const f of files) out.push(pathToFileURL(path.join(abs, f)).href);
    } else if (st.isFile()) {
      if (!/\.(m?js|m?ts)$/.test(abs)) throw new ClaimFileError(`--claims ${p}: not a JavaScript or TypeScript module (.js, .mjs, .ts, .mts)`);
      out.push(pathToFileURL(abs).href);
    } else {
      throw new ClaimFileError(`--claims ${p}: neither a file nor a directory`);
    }
  }
  return [...new Set(out)];
}

/** What makes an object a claim the runner can use; the first thing missing, or null. */
function claimProblem(c: unknown): string | null {
  if (!c || typeof c !== 'object') return 'not an object';
  const o = c as Partial<Claim>;
  if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(o.id)) return 'its id must be a kebab-case string';
  if (typeof o.check !== 'function') return `claim ${o.id} has no check function`;
  if (!o.tiers || typeof o.tiers !== 'object' || !('quick' in o.tiers) || !('full' in o.tiers)) return `claim ${o.id} needs tiers.quick and tiers.full`;
  if (!Array.isArray(o.falsifiers)) return `claim ${o.id} needs a falsifiers array (it may be empty, but a claim without falsifiers cannot show it can fail)`;
  for (const f of o.falsifiers) if (!f || typeof f.id !== 'string' || typeof f.mutate !== 'function') return `claim ${o.id} has a falsifier without an id or a mutate function`;
  if (typeof o.title !== 'string' || typeof o.statement !== 'string') return `claim ${o.id} needs a title and a statement`;
  return null;
}

/** The claims one user module exports: `default` (a claim or an array), `CLAIMS`, or `claim`. */
async function claimsOfModule(url: string): Promise<Claim[]> {
  const shown = url.startsWith('file:') ? path.relative(process.cwd(), new URL(url).pathname) || url : url;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    throw new ClaimFileError(`claims file ${shown} could not be loaded: ${first}`);
  }
  const exported = mod.CLAIMS ?? mod.default ?? mod.claim;
  if (exported === undefined) throw new ClaimFileError(`claims file ${shown} exports no claim (export default defineClaim({...}), or export const CLAIMS = [...])`);
  const list = Array.isArray(exported) ? exported : [exported];
  for (const c of list) {
    const problem = claimProblem(c);
    if (problem) throw new ClaimFileError(`claims file ${shown}: ${problem}`);
  }
  return list as Claim[];
}

/**
 * The registry: the built-in claims (or $VAE_CLAIMS_REGISTRY's) followed by
 * the claims of `userModules`, in order. An id that appears twice is an error
 * naming both places, so a user's claim never silently shadows one of ours.
 */
export async function loadRegistry(moduleUrl?: string, userModules: readonly string[] = []): Promise<readonly Claim[]> {
  let base: readonly Claim[];
  if (!moduleUrl) base = (await import('../claims/index.ts')).CLAIMS;
  else {
    const mod = (await import(moduleUrl)) as { CLAIMS?: readonly Claim[] };
    if (!Array.isArray(mod.CLAIMS)) throw new Error(`claim registry ${moduleUrl} does not export a CLAIMS array`);
    base = mod.CLAIMS;
  }
  if (userModules.length === 0) return base;
  return withUserClaims(base, userModules);
}

/** `base` plus the claims of `userModules`; duplicate ids are refused. */
export async function withUserClaims(base: readonly Claim[], userModules: readonly string[]): Promise<readonly Claim[]> {
  const seen = new Map<string, string>(base.map((c) => [c.id, 'the built-in registry']));
  const out = [...base];
  for (const url of userModules) {
    for (const c of await claimsOfModule(url)) {
      const where = seen.get(c.id);
      if (where) throw new ClaimFileError(`claim id "${c.id}" in ${path.basename(new URL(url).pathname)} is already defined in ${where}: ids must be unique`);
      seen.set(c.id, path.basename(new URL(url).pathname));
      out.push(c);
    }
  }
  return out;
}
