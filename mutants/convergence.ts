/** Mutants of the convergence engine: schedule, optimisers, the linear VAE's gradient and its oracle. */
import type { Mutant } from './types.ts';

const LINEAR_RATE = ['sgd-rate-linear-vae', 'adam-rate-linear-vae', 'beta-vae-rate'];

export const CONVERGENCE_MUTANTS: Mutant[] = [
  {
    id: 'schedule-quarter-exponent',
    kind: 'schedule',
    description: 'The engine steps with C·k^(-α/2): k^(-1/4) where the claim says k^(-1/2).',
    file: 'src/engine/schedule.ts',
    find: 'return C * Math.pow(k, -alpha);',
    replace: 'return C * Math.pow(k, -alpha / 2);',
    claims: LINEAR_RATE,
  },
  {
    id: 'kernel-bias-decoder-offset',
    kind: 'gradient',
    description: 'The linear VAE kernel adds a constant 0.1 to every coordinate of the stochastic gradient of b (an error floor).',
    file: 'src/models/linear-vae/engine-model.ts',
    find: '      for (let j = 0; j < dz; j++) gmu[j] -= (beta / B) * mu[j];',
    replace: '      for (let j = 0; j < dz; j++) gmu[j] -= (beta / B) * mu[j];\n      for (let q = 0; q < dx; q++) gb[q] += 0.1 / B;',
    claims: LINEAR_RATE,
  },
];
