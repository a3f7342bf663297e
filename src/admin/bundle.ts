import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';

const CLIENT_ENTRY = path.join(PROJECT_ROOT, 'src', 'admin', 'client', 'main.ts');

/**
 * Bundles the admin page's TypeScript into one ES module, in memory. Built on first request and
 * kept, so apps that never serve the page (most tests) never pay for it.
 */
export function createAdminBundle(): () => Promise<string> {
  let bundle: Promise<string> | undefined;
  return () => {
    // esbuild is loaded by the first build, so a service whose admin page is never opened does without it.
    bundle ??= import('esbuild')
      .then(({ build }) =>
        build({
          entryPoints: [CLIENT_ENTRY],
          bundle: true,
          write: false,
          format: 'esm',
          target: 'es2022',
          legalComments: 'none',
          logLevel: 'silent',
        }),
      )
      .then((result) => result.outputFiles[0].text);
    // A failed build is retried on the next request rather than cached.
    bundle.catch(() => {
      bundle = undefined;
    });
    return bundle;
  };
}
