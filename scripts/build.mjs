// Compiles the service and the CLI into dist/ (one ES module each). `npm start` runs the compiled
// code with plain node: no TypeScript loader in the process, which saves ~40 MB of memory and the
// start-up compile. The source maps carry positions only: stack traces still name src/ files and
// lines, and the service does not hold a second copy of its sources (about 4 MB of RSS).
import { build } from 'esbuild';

/**
 * npm packages compiled into the bundle rather than loaded from node_modules: ES modules every
 * request uses, of which the service needs a part (TypeBox's 373 files, Kysely's 263). Bundled,
 * only that part is parsed and kept: about 3 MB less heap. The others stay external, some of them
 * loaded only when configured (pg, ioredis) or first used.
 */
const BUNDLED_PACKAGES = new Set(['typebox', 'kysely']);

/** The package a bare import names: `kysely/helpers/postgres` → `kysely`, `@scope/name/x` → `@scope/name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

await build({
  entryPoints: ['src/main.ts', 'src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-packages',
      setup(builder) {
        // Bare specifiers are packages (or node: builtins): external unless listed above.
        builder.onResolve({ filter: /^[^./]/ }, ({ path }) =>
          BUNDLED_PACKAGES.has(packageOf(path)) ? undefined : { external: true },
        );
      },
    },
  ],
});
