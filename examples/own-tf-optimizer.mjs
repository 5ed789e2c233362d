// A TensorFlow.js optimiser object under the convergence claims, public API
// only (`node examples/own-tf-optimizer.mjs`). Any tf.train.Optimizer (or your
// own subclass of it) is given as a factory: the engine makes one instance per
// group of replicas that share a schedule, sets its learning rate to the
// claim's γ_k = C·k^{-1/2} before every step and hands it the negated gradient
// (TF.js optimisers descend a loss; the claims ascend the ELBO). It then runs
// on the TF.js trainer, judged by the same check and falsifiers, reported
// under its name.
//
// TF.js's own Adam with Kingma & Ba's constants is the algorithm the Adam
// claim is about, so it is run beside the engine's Adam on the same settings:
// the two should read the same (same draws, float32 rounding apart). Put
// tf.train.rmsprop, tf.train.adamax or your own class in its place to judge them.
import { claimById, tf, verify, withOptimizer } from 'vae-claims';

const optimizer = {
  kind: 'tfjs',
  name: 'tf.train.adam',
  create: (learningRate) => tf.train.adam(learningRate, 0.9, 0.999, 1e-8),
};

const adam = claimById('adam-rate-linear-vae');
// Fewer steps and seeds than the claim's quick tier: the TF.js trainer is ~50x slower than the
// engine's fused kernel on this tiny model. The verdict may then read inconclusive (at 3000 steps
// the biased-gradient falsifier's bias, sized for the tier's own length, is not yet seen), a
// legitimate answer of the harness — and the engine's own Adam reads the same there.
const report = await verify({ claims: [withOptimizer(adam, optimizer), adam], tier: 'quick', set: ['steps=3000', 'seeds=6'] });
for (const result of report.claims) {
  console.log(`${result.id}: ${result.verdict}`);
  for (const [name, m] of Object.entries(result.metrics)) {
    if (m.criterion && !m.criterion.startsWith('reported') && m.lower !== undefined) console.log(`  ${name} = ${m.value.toFixed(3)} [${m.lower.toFixed(3)}, ${m.upper.toFixed(3)}]`);
  }
  for (const f of result.falsifiers) console.log(`  falsifier ${f.id}: ${f.verdict}${f.caught ? ' (caught)' : ''}`);
  for (const a of result.assumptions) if (a.id === 'step-schedule') console.log(`  ${(a.detail ?? 'not measured').slice(0, 200)}…`);
  if (result.verdict === 'error') {
    console.log(result.error);
    process.exitCode = 1;
  }
}
