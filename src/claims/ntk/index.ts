/** Family N of CLAIMS.md: wide networks train as kernel machines [WH24]. */
import type { Claim } from '../../contract/claim.ts';
import ntkInitLimit from './ntk-init-limit.ts';
import ntkKrrEquivalence from './ntk-krr-equivalence.ts';
import ntkLazyTraining from './ntk-lazy-training.ts';
import ntkLinearConvergence from './ntk-linear-convergence.ts';
import snnNtk from './snn-ntk.ts';
import snnLinearConvergence from './snn-linear-convergence.ts';
import ntkMinEigenvalue from './ntk-min-eigenvalue.ts';
import snnKrrEquivalence from './snn-krr-equivalence.ts';

export const NTK_CLAIMS: readonly Claim[] = [ntkInitLimit, ntkKrrEquivalence, ntkLazyTraining, ntkLinearConvergence, snnNtk, ntkMinEigenvalue, snnLinearConvergence, snnKrrEquivalence];
