/**
 * The cycle check run by `npm test` (npm run lint:deps).
 *
 * - No cycle between folders of src/ (src/orders → src/events → … → src/orders), counting
 *   type imports too: a folder cycle is coupling whether or not it survives compilation.
 * - No cycle between files that exists at run time (module load order). Type-only cycles
 *   between files are allowed: they are erased by the compiler, and the gateway list derives
 *   the account types from the provider classes that way (providers/provider.ts ⇄ gateways.ts).
 *
 * A cycle once known is fixed at its root, not excepted: the event types live in events/, the
 * dispatcher reports outcomes through a port that metrics/ binds, and the bearer-token reader is in
 * common/http/.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Folders of src/ must not depend on each other in a cycle.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycle',
      comment: 'Files must not import each other in a cycle that exists at run time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'pre-compilation-only'] } },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    includeOnly: '^src/',
    exclude: { path: '\\.spec\\.ts$' },
    doNotFollow: { path: 'node_modules' },
  },
};
