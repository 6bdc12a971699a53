// Architecture rules (DESIGN.md: the arrows point one way), checked by `npm run lint:deps`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'webex-imports-nothing-of-ours',
      severity: 'error',
      comment:
        '@herald/webex (the library) depends on no other package, app or tool of this repository. Its tests may drive the emulator (DESIGN.md).',
      from: { path: '^packages/webex/src/' },
      to: { path: '^(packages/(?!webex/)|apps/|bench/|chaos/|harness/|examples/|scripts/)' },
    },
    {
      name: 'emulator-never-imports-the-app',
      severity: 'error',
      comment: 'The emulator may use the library, never the broadcast bot.',
      from: { path: '^packages/emulator/src/' },
      to: { path: '^(apps/|bench/|chaos/|harness/|examples/)' },
    },
    {
      name: 'bench-and-chaos-apart',
      severity: 'error',
      comment: 'bench/ and chaos/ do not import each other; what they share lives in harness/.',
      from: { path: '^(bench|chaos)/' },
      to: { path: '^(bench|chaos)/', pathNot: '^$1/' },
    },
    {
      name: 'harness-imports-no-tool',
      severity: 'error',
      comment: 'harness/ is shared by bench/ and chaos/, so it imports neither.',
      from: { path: '^harness/' },
      to: { path: '^(bench|chaos)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default', 'node'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
  },
};
