/**
 * The papers the claims come from (CLAIMS.md "Sources"). Cite them in each claim file.
 * Not a claim: each claim file declares its own falsifiers.
 */
import type { Source } from '../contract/claim.ts';

export const SGL25: Source = {
  key: 'SGL25',
  authors: 'S. Surendran, A. Godichon-Baggioni, S. Le Corff',
  title: 'Theoretical Convergence Guarantees for Variational Autoencoders',
  venue: 'AISTATS 2025',
  arxiv: '2410.16750',
};

/** Companion paper for Adam and biased gradients (IWAE bias O(1/K)). */
export const SGL24: Source = {
  key: 'SGL24',
  authors: 'S. Surendran, A. Godichon-Baggioni, A. Fermanian, S. Le Corff',
  title: 'Non-asymptotic Analysis of Biased Adaptive Stochastic Approximation',
  venue: 'NeurIPS 2024',
  arxiv: '2402.02857',
};

export const WH24: Source = {
  key: 'WH24',
  authors: 'L. Wang, W. Huang',
  title: 'On the Convergence Analysis of Over-Parameterized Variational Autoencoders: A Neural Tangent Kernel Perspective',
  venue: 'Machine Learning (journal)',
  arxiv: '2409.05349',
};

export const LW22: Source = {
  key: 'LW22',
  authors: 'J. Lücke, J. Warnken',
  title: 'On the Convergence of the ELBO to Entropy Sums',
  venue: 'arXiv preprint',
  arxiv: '2209.03077',
};

export const W25: Source = {
  key: 'W25',
  authors: 'J. Warnken et al.',
  title: 'Generative Models with ELBOs Converging to Entropy Sums',
  venue: 'arXiv preprint',
  arxiv: '2501.09022',
};

export const D23: Source = {
  key: 'D23',
  authors: 'S. Damm, D. Forster, D. Velychko, Z. Dai, A. Fischer, J. Lücke',
  title: 'The ELBO of Variational Autoencoders Converges to a Sum of Three Entropies',
  venue: 'AISTATS 2023',
  arxiv: '2010.14860',
};
