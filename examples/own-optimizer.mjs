// Your own optimiser under the convergence claims, through the public API only
// (plain Node ESM: `node examples/own-optimizer.mjs`). AMSGrad (Reddi et al.
// 2018) as an elementwise rule: Adam's moments, with the running maximum of
// the second moment in the denominator. It replaces the optimiser of
// adam-rate-linear-vae and is judged by the same check and falsifiers,
// reported as adam-rate-linear-vae[amsgrad].
import { claimById, verify, withOptimizer } from 'vae-claims';

const beta1 = 0.9;
const beta2 = 0.999;
const epsilon = 1e-8;

/** state per coordinate: [m, v, v̂max] */
const amsgrad = {
  kind: 'custom',
  name: 'amsgrad',
  stateSize: 3,
  step(theta, g, state, o, gamma, k) {
    state[o] = beta1 * state[o] + (1 - beta1) * g;
    state[o + 1] = beta2 * state[o + 1] + (1 - beta2) * g * g;
    const vHat = state[o + 1] / (1 - beta2 ** k);
    state[o + 2] = Math.max(state[o + 2], vHat);
    const mHat = state[o] / (1 - beta1 ** k);
    return theta + (gamma * mHat) / (Math.sqrt(state[o + 2]) + epsilon);
  },
};

const claim = withOptimizer(claimById('adam-rate-linear-vae'), amsgrad);
// Fewer steps than the claim's own quick tier keep the example short; the verdict may then read
// inconclusive ("no power at these sizes"), which is a legitimate answer of the harness.
const report = await verify({ claims: [claim], tier: 'quick', set: ['steps=5000', 'seeds=6'] });
const result = report.claims[0];
console.log(`${result.id}: ${result.verdict}`);
for (const [name, m] of Object.entries(result.metrics)) {
  if (m.criterion && !m.criterion.startsWith('reported')) console.log(`  ${name} = ${m.value.toFixed(3)} [${m.lower?.toFixed(3)}, ${m.upper?.toFixed(3)}]`);
}
for (const f of result.falsifiers) console.log(`  falsifier ${f.id}: ${f.verdict}${f.caught ? ' (caught)' : ''}`);
for (const a of result.assumptions) if (a.id === 'step-schedule') console.log(`  ${(a.detail ?? 'not measured').slice(0, 160)}…`);
if (result.verdict === 'error') process.exitCode = 1;
