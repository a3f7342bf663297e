/**
 * Response shapes of list and get, and which Okta client parses which. Okta's published reference
 * wraps both in `{"email-servers": [...]}`; Okta's servers send a bare array (list) and a bare
 * object (get). No typebox here: the settings and the README check read it as plain data.
 */

export const RESPONSE_SHAPES = ['documented', 'okta'] as const;
export type ResponseShape = (typeof RESPONSE_SHAPES)[number];

/** The setting's values: a fixed shape, or `auto` (each known client gets the shape it parses). */
export const RESPONSE_SHAPE_SETTINGS = ['auto', ...RESPONSE_SHAPES] as const;
export type ResponseShapeSetting = (typeof RESPONSE_SHAPE_SETTINGS)[number];

export interface KnownClient {
  name: string;
  /** The product tokens its User-Agent may carry, e.g. `@okta/okta-sdk-nodejs` in `@okta/okta-sdk-nodejs/8.1.0 node/22`. */
  products: readonly string[];
  shape: ResponseShape;
  /** From this version on it parses `shape`; older versions get `shapeBefore`. */
  since?: { version: string; shapeBefore: ResponseShape };
  why: string;
}

/**
 * Checked in order; the first product found in the User-Agent wins. Terraform comes first because
 * it may also name the Go SDK it is built on.
 */
export const KNOWN_CLIENTS: readonly KnownClient[] = [
  {
    name: "Okta's Terraform provider",
    products: ['okta-terraform'],
    shape: 'okta',
    why: 'reads what recorded Okta traffic holds',
  },
  {
    name: '@okta/okta-sdk-nodejs',
    // 8.x sends its npm name; the unscoped token is what its documentation shows.
    products: ['@okta/okta-sdk-nodejs', 'okta-sdk-nodejs'],
    shape: 'okta',
    since: { version: '7.2.1', shapeBefore: 'documented' },
    why: 'patched to real traffic in 7.2.1; against the wrapper `getEmailServer` fields are `undefined`',
  },
  {
    name: 'okta-sdk-golang (v5, v6)',
    products: ['okta-sdk-golang'],
    shape: 'documented',
    why: 'list and get decode into `EmailServerListResponse`; a bare array fails to decode',
  },
  {
    name: 'okta-sdk-python',
    products: ['okta-sdk-python'],
    shape: 'documented',
    why: 'list and get deserialize `EmailServerListResponse`',
  },
  {
    name: 'okta-sdk-java',
    products: ['okta-sdk-java'],
    shape: 'documented',
    why: 'generated from the published spec: list and get return `EmailServerListResponse`',
  },
  {
    name: 'okta-sdk-dotnet',
    products: ['okta-sdk-dotnet'],
    shape: 'documented',
    why: 'list and get return `EmailServerListResponse`',
  },
];

/** Unknown clients (curl, browsers, hand-written code) follow the published reference. */
export const UNKNOWN_CLIENT_SHAPE: ResponseShape = 'documented';

function versionAtLeast(version: string, minimum: string): boolean {
  const have = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const need = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    if (a !== need[i]) return a > need[i];
  }
  return true;
}

/** The shape a client parses, from its User-Agent. */
export function shapeForUserAgent(userAgent: string | undefined): ResponseShape {
  const tokens = (userAgent ?? '').split(/\s+/);
  for (const client of KNOWN_CLIENTS) {
    const product = client.products.find((p) => tokens.some((t) => t.toLowerCase().startsWith(`${p}/`)));
    if (product === undefined) continue;
    if (!client.since) return client.shape;
    const token = tokens.find((t) => t.toLowerCase().startsWith(`${product}/`)) ?? '';
    const version = token.slice(product.length + 1);
    return versionAtLeast(version, client.since.version) ? client.shape : client.since.shapeBefore;
  }
  return UNKNOWN_CLIENT_SHAPE;
}
