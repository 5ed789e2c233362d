/**
 * The layering rule (`npm run layers`, run by `npm test`): data flows one way,
 *   contract → foundations (engine, stats, data, config) → models (models,
 *   kernels, entropy) → claims → report → verify → calibrate → cli / public API,
 * and no module imports a layer above its own. The contract imports nothing of
 * the project. No import cycles anywhere.
 */
const LAYERS = [
  ['src/contract'],
  ['src/engine', 'src/stats', 'src/data', 'src/config'],
  ['src/models', 'src/kernels', 'src/entropy'],
  ['src/claims'],
  ['src/report'],
  ['src/verify'],
  ['src/calibrate'],
  ['src/cli', 'src/index.ts', 'src/vitest.ts'],
];

const pathsOf = (layers) => `^(${layers.flat().map((p) => p.replace(/[.]/g, '\\.')).join('|')})(/|$)`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer[0].replace('src/', '')}`,
  comment: `${layer.join(', ')} must not import from a higher layer (${LAYERS.slice(i + 1).flat().join(', ')})`,
  severity: 'error',
  from: { path: pathsOf([layer]) },
  to: { path: pathsOf(LAYERS.slice(i + 1)) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contract-is-a-leaf',
      comment: 'src/contract imports nothing of the project: it is the bottom of the house',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
