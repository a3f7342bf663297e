import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { createAdminBundle } from '../../admin/bundle.ts';
import type { AdminOAuthConfig } from '../../config.ts';
import { PROJECT_ROOT } from '../../project-root.ts';

const STATIC_ROOT = path.join(PROJECT_ROOT, 'src', 'admin', 'static');

/**
 * Strict policy: only this origin's scripts and styles, no inline code, no framing. Every value the
 * page shows is set with textContent, so even text the CSP would not stop cannot become markup.
 * With OAuth sign-in, the page also talks to the issuer (discovery and the token endpoint).
 */
function adminCsp(adminOAuth?: AdminOAuthConfig): string {
  const connect = adminOAuth ? `'self' ${new URL(adminOAuth.issuer).origin}` : "'self'";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the page needs to offer OAuth sign-in; `oauth: null` when only API tokens work. */
export interface AdminPageConfig {
  oauth: AdminOAuthConfig | null;
}

export interface AdminRoutesOptions {
  adminOAuth?: AdminOAuthConfig;
}

/** The web admin page at /admin: static HTML and CSS plus the bundled client script. */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { adminOAuth }) => {
  const clientScript = createAdminBundle();
  const csp = adminCsp(adminOAuth);
  const pageConfig: AdminPageConfig = { oauth: adminOAuth ?? null };

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Content-Security-Policy', csp);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cache-Control', 'no-cache');
    return payload;
  });

  await app.register(fastifyStatic, { root: STATIC_ROOT, prefix: '/admin/', index: false, decorateReply: true });

  app.get('/admin', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').sendFile('index.html'),
  );

  app.get('/admin/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(await clientScript()),
  );

  // Public settings only: the client id of a public (PKCE) client is not a secret.
  app.get('/admin/config.json', { schema: { hide: true } }, async () => pageConfig);
};
