/**
 * `npm run bench`: every benchmark in one run, one after the other, with the
 * same arguments ([--backend NAME] [--quick]): the linear-VAE replica
 * batching workload, then the deep-VAE workload. Each prints its own table of
 * rates and ratios (PyTorch's when torch imports). Never gates CI on times.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['replica-batching.bench.ts', 'deep-vae.bench.ts'];
const args = process.argv.slice(2);
for (const b of BENCHMARKS) {
  const script = fileURLToPath(new URL(`./${b}`, import.meta.url));
  console.log(`\n=== bench/${b} ${args.join(' ')}`);
  const out = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
  if (out.status !== 0) process.exit(out.status ?? 1);
}
