/**
 * Where claims come from: src/claims/index.ts by default, or any module exporting
 * `CLAIMS` named by $VAE_CLAIMS_REGISTRY (a path or file URL), for plugins
 * and for tests that need claims a worker process can load by id.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Claim } from '../contract/claim.ts';

export const REGISTRY_ENV_VAR = 'VAE_CLAIMS_REGISTRY';

export function registryModuleFromEnv(): string | undefined {
  const raw = process.env[REGISTRY_ENV_VAR];
  if (!raw) return undefined;
  return raw.startsWith('file:') ? raw : pathToFileURL(path.resolve(raw)).href;
}

export async function loadRegistry(moduleUrl?: string): Promise<readonly Claim[]> {
  if (!moduleUrl) return (await import('../claims/index.ts')).CLAIMS;
  const mod = (await import(moduleUrl)) as { CLAIMS?: readonly Claim[] };
  if (!Array.isArray(mod.CLAIMS)) throw new Error(`claim registry ${moduleUrl} does not export a CLAIMS array`);
  return mod.CLAIMS;
}
