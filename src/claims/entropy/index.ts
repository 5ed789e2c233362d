/** Family E of CLAIMS.md: the ELBO equals a sum of entropies at stationary points [LW22, W25, D23]. */
import type { Claim } from '../../contract/claim.ts';
import entropyGmm from './entropy-gmm.ts';
import entropyPpca from './entropy-ppca.ts';
import entropyBernoulliMixture from './entropy-bernoulli-mixture.ts';
import entropyPoissonMixture from './entropy-poisson-mixture.ts';
import entropySbn from './entropy-sbn.ts';
import entropyLinearVae from './entropy-linear-vae.ts';
import entropyGaussianVae from './entropy-gaussian-vae.ts';
import d23Figure1 from './d23-figure-1.ts';
import entropyVaeVariants from './entropy-vae-variants.ts';

export const ENTROPY_CLAIMS: readonly Claim[] = [entropyGmm, entropyPpca, entropyBernoulliMixture, entropyPoissonMixture, entropySbn, entropyLinearVae, entropyGaussianVae, d23Figure1, entropyVaeVariants];
