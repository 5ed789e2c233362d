/**
 * The public API's Adam default is Kingma & Ba's (β1 = 0.9, β2 = 0.999,
 * ε = 1e-8). The claims state their own constants, so this default reaches
 * users only; this is where a wrong default is seen.
 */
import { describe, expect, it } from 'vitest';
import { ADAM_DEFAULTS } from '../../src/engine/optimizer.ts';

describe('ADAM_DEFAULTS', () => {
  it("is Kingma & Ba's", () => {
    expect(ADAM_DEFAULTS).toEqual({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  });
});
