// Your own VAE under the deep-VAE rate claim [SGL25], public API only
// (`node examples/own-deep-vae.mjs`). You write ONE replica's model in plain
// TF.js: its parameters (init) and the ELBO of each row for one draw ε ~ N(0, I)
// (elbo). The engine trains it as it trains its own deep VAE — the claim's Adam
// with γ_k = C·k^{-1/2}, mini-batches of the digits, seeds, the falsifiers'
// constant step and gradient bias — measures ‖∇L(θ_k)‖² of the expected ELBO
// over every image (TF.js autodiff of your ELBO) and judges it by the same
// criteria, reported as adam-rate-deep-vae[<name>].
//
// Here: a tanh MLP encoder and decoder (smooth, bounded: what the theorem
// asks of the network), a sigmoid decoder mean in [0, 1] like the pixels, a
// fixed decoder variance c² and a closed-form KL to N(0, I).
import { claimById, tf, verify, withModel } from 'vae-claims';

const hidden = 16;
const latent = 2;
const c = 0.3; // decoder standard deviation (fixed)

const dense = (rows, cols, scale, normal) => ({ shape: [rows, cols], values: Array.from({ length: rows * cols }, () => (scale / Math.sqrt(rows)) * normal()) });
const zeros = (n) => ({ shape: [n], values: new Float32Array(n) });

const tanhVae = {
  kind: 'user-vae',
  name: 'tanh-vae',
  latent,
  init: ({ dx, dataMean, normal }) => ({
    W1: dense(dx, hidden, 1, normal),
    b1: zeros(hidden),
    Wmu: dense(hidden, latent, 1, normal),
    bmu: zeros(latent),
    Wlv: dense(hidden, latent, 1, normal),
    blv: zeros(latent),
    W2: dense(latent, hidden, 1, normal),
    b2: zeros(hidden),
    W3: dense(hidden, dx, 0.1, normal),
    // The output bias starts at the data mean's logit: the first steps need not learn the mean image.
    b3: { shape: [dx], values: Array.from(dataMean, (m) => Math.log((m + 0.01) / (1.01 - m))) },
  }),
  elbo: (p, x, eps) => {
    const h = tf.tanh(x.matMul(p.W1).add(p.b1));
    const mu = h.matMul(p.Wmu).add(p.bmu);
    const logVar = tf.tanh(h.matMul(p.Wlv).add(p.blv)).mul(5); // log σ² in (−5, 5)
    const z = mu.add(logVar.mul(0.5).exp().mul(eps));
    const mean = tf.sigmoid(tf.tanh(z.matMul(p.W2).add(p.b2)).matMul(p.W3).add(p.b3));
    const dx = x.shape[1];
    const logLik = x.sub(mean).square().sum(1).mul(-0.5 / (c * c)).sub(0.5 * dx * Math.log(2 * Math.PI * c * c));
    const kl = logVar.exp().add(mu.square()).sub(1).sub(logVar).sum(1).mul(0.5);
    return logLik.sub(kl);
  },
};

const claim = withModel(claimById('adam-rate-deep-vae'), tanhVae);
// Shorter than the claim's quick tier (6000 steps, 8 seeds): your model's ELBO runs once per replica
// and step. The verdict may then read inconclusive (a falsifier not yet seen), a legitimate answer.
// estimatorDraws: independent antithetic draws per ‖∇L‖² measurement. The claim's 2 suit the engine's
// network; on this one an estimate near the end of a run fell below 0 now and then (an unbiased
// U-statistic can), and one such seed throws the seed-averaged logs off: 6 draws keep it positive.
const set = process.argv.length > 2 ? process.argv.slice(2) : ['steps=2000', 'seeds=6', 'estimatorDraws=6'];
const report = await verify({ claims: [claim], tier: 'quick', set });
const result = report.claims[0];
console.log(`${result.id}: ${result.verdict}`);
for (const [name, m] of Object.entries(result.metrics)) {
  if (m.criterion && !m.criterion.startsWith('reported') && m.lower !== undefined) console.log(`  ${name} = ${m.value.toFixed(3)} [${m.lower.toFixed(3)}, ${m.upper.toFixed(3)}]`);
}
for (const f of result.falsifiers) console.log(`  falsifier ${f.id}: ${f.verdict}${f.caught ? ' (caught)' : ''}`);
// An undecided run says what would give it power (and that your model was not grown automatically).
for (const n of result.notes) if (/^(No power|Not grown)/.test(n)) console.log(`  note: ${n}`);
for (const a of result.assumptions) console.log(`  assumption ${a.id}: ${a.met === true ? 'met' : a.met === false ? 'NOT met' : 'not checked'}`);
if (result.verdict === 'error') {
  console.log(result.error);
  process.exitCode = 1;
}
