/** Family A of CLAIMS.md: convergence of SGD and Adam [SGL25]. */
import type { Claim } from '../../contract/claim.ts';
import sgdRateLinearVae from './sgd-rate-linear-vae.ts';
import adamRateLinearVae from './adam-rate-linear-vae.ts';
import betaVaeRate from './beta-vae-rate.ts';
import batchSizeEffect from './batch-size-effect.ts';
import samplesEffect from './samples-effect.ts';
import iwaeBias from './iwae-bias.ts';
import iwaeRate from './iwae-rate.ts';
import iwaeRateAdam from './iwae-rate-adam.ts';
import adamRateDeepVae from './adam-rate-deep-vae.ts';
import gradientNoiseLaw from './gradient-noise-law.ts';
import iwaeSnr from './iwae-snr.ts';
import biasedSaRate from './biased-sa-rate.ts';
import sgdRateDeepVae from './sgd-rate-deep-vae.ts';

export const CONVERGENCE_CLAIMS: readonly Claim[] = [sgdRateLinearVae, adamRateLinearVae, betaVaeRate, batchSizeEffect, samplesEffect, iwaeBias, iwaeRate, iwaeRateAdam, adamRateDeepVae, sgdRateDeepVae, gradientNoiseLaw, iwaeSnr, biasedSaRate];
