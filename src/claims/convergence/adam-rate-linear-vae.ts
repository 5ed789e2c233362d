/**
 * adam-rate-linear-vae [SGL25, Thm. for Adam; NeurIPS 2024 companion
 * arXiv:2402.02857]: bias-corrected Adam with β1 < √β2 < 1 and
 * γ_k = C k^{-1/2} reaches G_n = O(log n / √n) (no batch size in the bound).
 *
 * Same test bed, sizes, criteria and falsifiers as sgd-rate-linear-vae (see
 * there and shared/linear-vae-rate-tiers.ts); the engine-conformance probe
 * replays bias-corrected Adam (Kingma & Ba) in float64 against the trainer.
 * Adam's averaged-iterate slope is erratic at these sizes, its averaging ratio
 * stable: the floor test passes on either, so Adam's evidence is the ratio.
 */
import { defineClaim, type Tier } from '../../contract/claim.ts';
import { SGL25 } from '../sources.ts';
import { checkLinearVaeRate, linearVaeRateConfigSchema, type LinearVaeRateConfig } from './shared/linear-vae-rate.ts';
import { biasedGradient, constantStep, growSeeds, linearVaeRateAssumptions, linearVaeRateTiers, linearVaeTakesData, slowSchedule } from './shared/linear-vae-rate-tiers.ts';

/** Kingma & Ba's constants, as in [SGL25]'s Adam experiments; stated here, not read from the engine's defaults, so the claim says what it tests. */
const ADAM = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;
const tiers: Record<Tier, LinearVaeRateConfig> = linearVaeRateTiers(ADAM);

export default defineClaim<LinearVaeRateConfig>({
  id: 'adam-rate-linear-vae',
  title: 'Adam reaches E‖∇L‖² = O(log n/√n) on the linear Gaussian VAE',
  family: 'convergence',
  source: SGL25,
  statement:
    'Bias-corrected Adam (β1 = 0.9, β2 = 0.999, so β1 < √β2 < 1) ascending the reparameterised ELBO ' +
    'with step γ_k = C·k^{-1/2} gives G_n = O(log n / √n).',
  assumptions: [
    ...linearVaeRateAssumptions,
    { id: 'adam-momentum', statement: 'β1 < √β2 < 1 (0.9 < 0.9995 < 1).' },
  ],
  tiers,
  falsifiers: [constantStep, slowSchedule, biasedGradient],
  check: (configs, ctx) => checkLinearVaeRate('adam-rate-linear-vae', configs, ctx),
  takesData: linearVaeTakesData,
  grow: growSeeds,
  schema: linearVaeRateConfigSchema,
  seedCount: (c) => c.seeds,
});
