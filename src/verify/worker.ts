/**
 * A worker process (forked by worker-pool.ts): runs the claims the parent
 * sends, one at a time, and reports progress events and results back over
 * IPC (structured clone, so NaN and typed arrays survive). A claim's numbers
 * depend only on its id, tier and master seed, never on which worker ran it.
 */
import { useBackend } from '../engine/backend.ts';
import { loadRegistry } from './registry.ts';
import { runClaim, type ProgressEvent } from './run-claims.ts';
import type { Tier } from '../contract/claim.ts';
import type { Override } from '../config/overrides.ts';

export interface RunRequest {
  type: 'run';
  claimId: string;
  index: number;
  total: number;
  tier: Tier;
  seed: number;
  backend: string;
  registryModule?: string;
  /** The user's claim modules (`--claims`), added to the registry. */
  userModules?: string[];
  overrides?: Override[];
  dataFile?: string;
}

export type WorkerMessage = { type: 'event'; event: ProgressEvent } | { type: 'fatal'; message: string };

function send(message: WorkerMessage): void {
  process.send?.(message);
}

process.on('message', (request: RunRequest) => {
  void (async () => {
    try {
      const claims = await loadRegistry(request.registryModule, request.userModules);
      const claim = claims.find((c) => c.id === request.claimId);
      if (!claim) throw new Error(`worker: no claim "${request.claimId}" in the registry`);
      const backend = await useBackend(request.backend);
      await runClaim(
        claim,
        {
          claims: [claim],
          total: request.total,
          tier: request.tier,
          seed: request.seed,
          backend,
          overrides: request.overrides,
          dataFile: request.dataFile,
          onEvent: (event) => send({ type: 'event', event }),
        },
        request.index,
      );
    } catch (err) {
      send({ type: 'fatal', message: (err as Error).message ?? String(err) });
    }
  })();
});

// The parent going away (interrupt, crash) ends the worker too.
process.on('disconnect', () => process.exit(0));
