/**
 * Process entry point: run the CLI and exit with its code. An internal error
 * (a bug of the harness, not a claim failing) exits 3 with one line naming a
 * log file that holds the stack trace, so exit 1 always means "a claim did not
 * pass or a falsifier was not caught".
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A first line within a second: loading TensorFlow.js, the claims and the backend takes several.
const args = process.argv.slice(2);
if (args[0] === 'verify' && !args.some((a) => a === '--quiet' || a === '--json' || a === '-h' || a === '--help')) {
  process.stderr.write('vae-claims: loading the claims and the backend…\n');
}
const { EXIT, main } = await import('./main.ts');

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const log = path.join(os.tmpdir(), `vae-claims-internal-error-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    const text = `vae-claims ${process.argv.slice(2).join(' ')}\n${new Date().toISOString()}\n\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
    let where = log;
    try {
      writeFileSync(log, text);
    } catch {
      where = '(could not write the log file)';
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`vae-claims: internal error: ${message.split('\n')[0]} (a bug of vae-claims, not a claim result; stack trace in ${where})`);
    process.exit(EXIT.internal);
  },
);
