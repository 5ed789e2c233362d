/** Family N of CLAIMS.md: wide networks train as kernel machines [WH24]. */
import type { Claim } from '../claim.ts';

export const NTK_CLAIMS: readonly Claim[] = [];
