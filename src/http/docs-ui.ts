import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** A plain wordmark, so the docs page says whose API it documents. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">
<rect width="160" height="40" rx="6" fill="#1b4f9c"/>
<text x="80" y="26" text-anchor="middle" font-family="system-ui, sans-serif" font-size="18" font-weight="700" fill="#fff">mailroute</text>
</svg>`;

/**
 * Swagger UI writes one inline <style> element (its layout fix); this is its hash, so the policy
 * can stay free of 'unsafe-inline'.
 */
const SWAGGER_UI_INLINE_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  `style-src 'self' ${SWAGGER_UI_INLINE_STYLE}`,
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The browsable docs at /docs, reading the same document served at /openapi.json. */
export async function registerDocsUi(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    logo: { type: 'image/svg+xml', content: LOGO },
    theme: {
      title: 'mailroute API docs',
      favicon: [{ filename: 'mailroute.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: LOGO }],
    },
    // With `urls`, Swagger UI loads the listed document instead of the plugin's own /docs/json.
    uiConfig: { urls: [{ url: '/openapi.json', name: 'mailroute' }] },
    validatorUrl: false,
  });
}
