/** Process entry point: run the CLI and exit with its code. */
import { EXIT, main } from './main.ts';

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('vae-claims: unexpected failure:', err);
    process.exit(EXIT.claimsFailed);
  },
);
