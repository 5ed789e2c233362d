// Your own claim, declared with defineClaim (examples/claims/minibatch-variance.mjs)
// and run like ours through the API (plain Node ESM: `node examples/own-claim.mjs`).
// The same file runs from the command line with
//   npx vae-claims verify --claims examples/claims --claim example-minibatch-variance --tier quick
import { verify } from 'vae-claims';
import claim from './claims/minibatch-variance.mjs';

const report = await verify({ claims: [claim], tier: 'quick' });
const r = report.claims[0];
console.log(`${r.id}: ${r.verdict}; slope ${r.metrics.slope.value.toFixed(3)} [${r.metrics.slope.lower.toFixed(3)}, ${r.metrics.slope.upper.toFixed(3)}]`);
for (const f of r.falsifiers) console.log(`  falsifier ${f.id}: ${f.verdict}${f.caught ? ' (caught)' : ''}`);
process.exitCode = r.verdict === 'pass' && r.falsifiers.every((f) => f.caught) ? 0 : 1;
