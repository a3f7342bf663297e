import Type, { type Static } from 'typebox';

/** Wire schemas for Okta's EmailServer resource: the single source of validation, types and OpenAPI. */

export const AUTH_TYPES = ['BASIC_SMTP_AUTH'] as const;

export const LIMITS = { alias: 255, host: 253, username: 255, password: 1024 } as const;

const alias = Type.String({ format: 'visible-text', maxLength: LIMITS.alias, description: 'Human-readable name for the server' });
const host = Type.String({ format: 'hostname-or-ip', maxLength: LIMITS.host, description: 'Hostname or IP address of the SMTP server' });
const port = Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the SMTP server' });
const username = Type.String({ format: 'visible-text', maxLength: LIMITS.username, description: 'Username used to sign in to the SMTP server' });
const password = Type.String({
  minLength: 1,
  maxLength: LIMITS.password,
  writeOnly: true,
  description: 'Password used to sign in to the SMTP server. Write-only: never returned.',
});
const enabled = Type.Boolean({ description: 'Routes all email traffic through this server. At most one server per org is enabled.' });
const authType = Type.String({ enum: [...AUTH_TYPES], description: 'Sign-in method. Defaults to BASIC_SMTP_AUTH.' });

export const EmailServerPost = Type.Object(
  {
    alias,
    host,
    port,
    username,
    password,
    enabled: Type.Optional(enabled),
    authType: Type.Optional(authType),
  },
  { title: 'EmailServerPost', description: 'A new email server. Unknown properties are ignored.' },
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
  },
  {
    title: 'EmailServerRequest',
    description: 'Partial update: only the fields sent change. Changing host, port or username requires password too.',
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
  },
  { title: 'EmailServerResponse' },
);
export type EmailServerResponse = Static<typeof EmailServerResponse>;

export const EmailServerIdParams = Type.Object({
  emailServerId: Type.String({ maxLength: 64, description: 'The id of the email server' }),
});

/** Documented (published reference) shapes wrap results in an `email-servers` array. */
export const EmailServerListWrapped = Type.Object({ 'email-servers': Type.Array(EmailServerResponse) });
