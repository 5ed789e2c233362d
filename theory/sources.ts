/** The papers the claims come from (CLAIMS.md "Sources"). */
import type { Source } from './claim.ts';

export const SGL25: Source = {
  key: 'SGL25',
  authors: 'S. Surendran, A. Godichon-Baggioni, S. Le Corff',
  title: 'Theoretical Convergence Guarantees for Variational Autoencoders',
  venue: 'AISTATS 2025',
  arxiv: '2410.16750',
};
