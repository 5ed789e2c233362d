/**
 * Every claim owns a zod schema of its configuration: its tiers and every
 * falsifier's mutation of them validate against it, and a value out of range
 * is rejected naming the setting and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { CLAIMS } from '../../src/claims/index.ts';
import { validateConfig, InvalidConfigError } from '../../src/config/hyperparameters.ts';
import type { ConfigSchema } from '../../src/contract/claim.ts';

describe.each(CLAIMS.map((c) => [c.id, c] as const))('%s', (_id, claim) => {
  it('declares its own schema and seed count', () => {
    expect(claim.schema, `${claim.id} has no schema`).toBeDefined();
    expect(claim.seedCount, `${claim.id} has no seedCount`).toBeDefined();
  });
  it('its tiers and every falsifier mutation validate against it', () => {
    if (!claim.schema) return;
    for (const tier of ['quick', 'full'] as const) {
      const config = claim.tiers[tier];
      expect(() => validateConfig(claim.id, config, tier, claim.schema as ConfigSchema<unknown>)).not.toThrow();
      for (const f of claim.falsifiers) expect(() => validateConfig(claim.id, f.mutate(config), `${tier}/${f.id}`, claim.schema as ConfigSchema<unknown>)).not.toThrow();
      // A claim whose configuration has seeds reports them (≥ 2: the intervals bootstrap over seeds); one without reports none.
      const count = claim.seedCount!(config);
      if (JSON.stringify(config).includes('"seeds":')) expect(count).toBeGreaterThanOrEqual(2);
      else expect(count).toBeNull();
    }
  });
  it('sized to a data file (verify --data), its tiers and every falsifier mutation validate against it', () => {
    const takes = claim.takesData;
    if (!claim.schema || !takes) return;
    for (const tier of ['quick', 'full'] as const) {
      // 200 rows of the claim's dimension, or of 6 columns where it takes any number.
      const sized = takes.withRows(claim.tiers[tier], 200, takes.dimension(claim.tiers[tier]) ?? 6);
      expect(() => validateConfig(claim.id, sized, `${tier} on data`, claim.schema as ConfigSchema<unknown>)).not.toThrow();
      for (const f of claim.falsifiers) expect(() => validateConfig(claim.id, f.mutate(sized), `${tier}/${f.id} on data`, claim.schema as ConfigSchema<unknown>)).not.toThrow();
    }
  });
  it('rejects an unknown type with the allowed range (a seeds of "many")', () => {
    if (!claim.schema) return;
    const withSeeds = (c: unknown): unknown => {
      if (!c || typeof c !== 'object' || Array.isArray(c)) return c;
      const o = c as Record<string, unknown>;
      if ('seeds' in o) return { ...o, seeds: 'many' };
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withSeeds(v)]));
    };
    const bad = withSeeds(claim.tiers.quick);
    if (JSON.stringify(bad) === JSON.stringify(claim.tiers.quick)) return; // no seeds field
    expect(() => validateConfig(claim.id, bad, 'configuration', claim.schema as ConfigSchema<unknown>)).toThrow(InvalidConfigError);
    expect(() => validateConfig(claim.id, bad, 'configuration', claim.schema as ConfigSchema<unknown>)).toThrow(/seeds = "many": .*allowed seeds: an integer ≥ 2/);
  });
});
