/** In-process CLI runs against the fake registry (no child process, no tfjs backend initialisation). */
import { Writable } from 'node:stream';
import type { Claim } from '../../src/contract/claim.ts';
import { main } from '../../src/cli/main.ts';
import { FAKE_BACKEND, FAKE_CLAIMS } from './fixtures.ts';

/** A writable that keeps what was written (for in-process CLI runs). */
export function captureStream(): NodeJS.WritableStream & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Runs the CLI in-process against the fake registry; returns exit code and output. */
export async function runCli(args: string[], claims: readonly Claim[] = FAKE_CLAIMS): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(['node', 'vae-claims', ...args], { claims, useBackend: async () => FAKE_BACKEND, stdout, stderr, tty: false });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
