import Type, { type Static } from 'typebox';
import { AUTH_TYPES, DEFAULT_AUTH_TYPE, REQUIRED_BY_AUTH_TYPE } from './auth-types.ts';
import { oauthRequestProperties, oauthResponseProperties } from './email-server-oauth.ts';
import { SENDING_LIMIT_RANGES } from './sending-limit-presets.ts';
import { stringEnum } from './string-enum.ts';
import { TLS_MODES } from './tls-modes.ts';

/** Wire schemas for Okta's EmailServer resource: the single source of validation, types and OpenAPI. */

const LIMITS = { alias: 255, host: 253, username: 255, password: 1024 } as const;

const alias = Type.String({
  format: 'visible-text',
  maxLength: LIMITS.alias,
  description: 'Human-readable name for the server',
});
const host = Type.String({
  format: 'hostname-or-ip',
  maxLength: LIMITS.host,
  description: 'Hostname or IP address of the SMTP server',
});
const port = Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the SMTP server' });
const username = Type.String({
  format: 'visible-text',
  maxLength: LIMITS.username,
  description: 'Username used to sign in to the SMTP server',
});
// Blank is refused by the domain unless tlsMode is `none` (an unauthenticated relay), where "" means "no password".
const password = Type.String({
  maxLength: LIMITS.password,
  writeOnly: true,
  description:
    'Password used to sign in to the SMTP server. Write-only: never returned. Required and non-blank, except with the extension tlsMode "none", which requires "".',
});
const enabled = Type.Boolean({
  description: 'Routes all email traffic through this server. At most one server per org is enabled.',
});
const authType = stringEnum(AUTH_TYPES, { description: `Sign-in method. Defaults to ${DEFAULT_AUTH_TYPE}.` });
/** Extensions (mailroute, not Okta): optional, returned only when set. */
const tlsMode = stringEnum(TLS_MODES, {
  description:
    'Extension. TLS mode: `implicit` (TLS from the first byte), `starttls` (STARTTLS required before AUTH), or `none` (no TLS and no AUTH: an unauthenticated relay on a trusted network; requires "password": ""). Unset: port 465 → implicit, any other port → starttls.',
});
const caCertificate = Type.String({
  maxLength: 32_768,
  description:
    'Extension. PEM CA certificate(s) the server certificate must chain to, for servers behind a private CA (replaces the public roots for this server). Changing it requires the password again. In PATCH, "" removes it.',
});

const limit = (field: keyof typeof SENDING_LIMIT_RANGES, description: string) =>
  Type.Optional(Type.Integer({ ...SENDING_LIMIT_RANGES[field], description }));
const sendingLimits = Type.Object(
  {
    maxConnections: limit('maxConnections', 'Connections open at once to the server, per instance'),
    messagesPerMinute: limit('messagesPerMinute', 'Messages sent per minute at most, spaced evenly'),
    messagesPerDay: limit('messagesPerDay', 'Messages sent per UTC day at most'),
  },
  {
    additionalProperties: false,
    description:
      'Extension. Limits mailroute keeps to when sending through this server; each optional. The rates hold across all instances (Redis or PostgreSQL), connections per instance. Unset: the published limits of known providers (Microsoft 365, Google, Amazon SES) by host, else none. In PATCH, null or {} removes them.',
  },
);

export const EmailServerPost = Type.Object(
  {
    alias,
    host,
    port,
    username,
    // Required for BASIC_SMTP_AUTH only (see x-required-by-auth-type).
    password: Type.Optional(password),
    enabled: Type.Optional(enabled),
    authType: Type.Optional(authType),
    tlsMode: Type.Optional(tlsMode),
    caCertificate: Type.Optional(caCertificate),
    sendingLimits: Type.Optional(sendingLimits),
    ...oauthRequestProperties,
  },
  {
    title: 'EmailServerPost',
    description: `A new email server. Unknown properties are ignored. Required besides alias, host, port and username, by authType: ${requiredByAuthTypeText()}.`,
    'x-required-by-auth-type': REQUIRED_BY_AUTH_TYPE,
  },
);
export type EmailServerPost = Static<typeof EmailServerPost>;

export const EmailServerRequest = Type.Object(
  {
    alias: Type.Optional(alias),
    host: Type.Optional(host),
    port: Type.Optional(port),
    username: Type.Optional(username),
    password: Type.Optional(password),
    enabled: Type.Optional(enabled),
    authType: Type.Optional(authType),
    tlsMode: Type.Optional(tlsMode),
    caCertificate: Type.Optional(caCertificate),
    sendingLimits: Type.Optional(Type.Union([sendingLimits, Type.Null()])),
    ...oauthRequestProperties,
  },
  {
    title: 'EmailServerRequest',
    description:
      'Partial update: only the fields sent change. Changing host, port or username requires password too. For OAuth 2.0 servers the body must carry authType, and changing host, port, username, tokenEndpoint or clientId requires clientSecret (or privateKey) again. Changing authType requires every field the new type needs.',
  },
);
export type EmailServerRequest = Static<typeof EmailServerRequest>;

/** The response has no password property, so a secret cannot leak through a response by construction. */
export const EmailServerResponse = Type.Object(
  {
    alias: Type.String(),
    host: Type.String(),
    port: Type.Integer(),
    id: Type.String({ description: 'ces + 17 characters' }),
    username: Type.String(),
    enabled: Type.Boolean(),
    ...oauthResponseProperties,
    tlsMode: Type.Optional(stringEnum(TLS_MODES, { description: 'Extension; present only when set' })),
    caCertificate: Type.Optional(Type.String({ description: 'Extension; present only when set' })),
    sendingLimits: Type.Optional(sendingLimits),
  },
  { title: 'EmailServerResponse' },
);
export type EmailServerResponse = Static<typeof EmailServerResponse>;

export const EmailServerIdParams = Type.Object({
  emailServerId: Type.String({ maxLength: 64, description: 'The id of the email server' }),
});

function requiredByAuthTypeText(): string {
  return AUTH_TYPES.map(
    (type) => `${type}${type === DEFAULT_AUTH_TYPE ? ' (the default)' : ''} ${REQUIRED_BY_AUTH_TYPE[type].join(', ')}`,
  ).join('; ');
}

/** Documented (published reference) shapes wrap results in an `email-servers` array. */
export const EmailServerListWrapped = Type.Object({ 'email-servers': Type.Array(EmailServerResponse) });
