import Type, { type Static } from 'typebox';
import { AUTH_TYPES } from './auth-types.ts';
import { stringEnum } from './string-enum.ts';
import { TLS_MODES } from './tls-modes.ts';

/**
 * POST /api/v1/mailroute/email-servers/{id}/check: a staged walk through an SMTP session that
 * stops before DATA, so nothing is ever delivered, and the report it answers.
 */

const address = (description: string) =>
  Type.String({
    maxLength: 254,
    description: `${description} RFC 5321 mailbox (local@domain), at most 254 characters.`,
  });

export const EmailServerCheckRequest = Type.Object(
  {
    fromAddress: Type.Optional(address('With it: MAIL FROM is tried, and its domain is checked for SPF and DMARC.')),
    toAddress: Type.Optional(address('With fromAddress: RCPT TO is tried too (then RSET; no DATA).')),
  },
  { title: 'EmailServerCheckRequest', description: 'Optional; unknown properties are ignored, as Okta does.' },
);
export type EmailServerCheckRequest = Static<typeof EmailServerCheckRequest>;

/** The stages of a check, in the order they run. */
export const CHECK_STAGES = [
  'dns',
  'token',
  'connect',
  'greeting',
  'ehlo',
  'tls',
  'auth',
  'sender',
  'recipient',
  'data',
  'reset',
  'quit',
] as const;
export type CheckStage = (typeof CHECK_STAGES)[number];

export const CHECK_STAGE_OUTCOMES = ['passed', 'failed', 'skipped'] as const;
export type CheckStageOutcome = (typeof CHECK_STAGE_OUTCOMES)[number];

export const ADVISORY_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AdvisorySeverity = (typeof ADVISORY_SEVERITIES)[number];

/** Every advisory a check can give, with its severity: declared once, read by the engine and the schema. */
export const CHECK_ADVISORY_CATALOGUE = {
  certificate_expired: { severity: 'critical' },
  certificate_expiring: { severity: 'warning' },
  certificate_name_mismatch: { severity: 'critical' },
  tls_outdated: { severity: 'critical' },
  starttls_missing: { severity: 'critical' },
  auth_only_before_tls: { severity: 'critical' },
  basic_auth_retiring: { severity: 'warning' },
  spf_missing: { severity: 'warning' },
  spf_not_authorising: { severity: 'warning' },
  spf_error: { severity: 'warning' },
  dmarc_missing: { severity: 'warning' },
  dmarc_not_enforcing: { severity: 'info' },
} as const satisfies Record<string, { severity: AdvisorySeverity }>;
export type CheckAdvisoryCode = keyof typeof CHECK_ADVISORY_CATALOGUE;
export const CHECK_ADVISORY_CODES = Object.keys(CHECK_ADVISORY_CATALOGUE) as CheckAdvisoryCode[];

const reply = Type.Object(
  { code: Type.Integer(), text: Type.String() },
  { description: "The server's reply, one line, credentials redacted." },
);

export const CheckStageReport = Type.Object(
  {
    stage: stringEnum(CHECK_STAGES),
    outcome: stringEnum(CHECK_STAGE_OUTCOMES),
    durationMs: Type.Integer({ minimum: 0 }),
    reply: Type.Optional(reply),
  },
  { title: 'CheckStageReport' },
);
export type CheckStageReport = Static<typeof CheckStageReport>;

export const CertificateReport = Type.Object(
  {
    subject: Type.String(),
    issuer: Type.String(),
    validFrom: Type.String({ format: 'date-time' }),
    validTo: Type.String({ format: 'date-time' }),
    daysLeft: Type.Integer({ description: 'Whole days until validTo (negative once expired).' }),
  },
  { title: 'CertificateReport' },
);
export type CertificateReport = Static<typeof CertificateReport>;

export const TlsReport = Type.Object(
  {
    protocol: Type.String({ description: 'e.g. TLSv1.3' }),
    cipher: Type.String(),
    trusted: Type.Boolean({ description: 'The chain verifies against the public roots or caCertificate.' }),
    nameMatches: Type.Boolean({ description: 'The leaf certificate names the stored host.' }),
    chain: Type.Array(CertificateReport, { description: 'Leaf first.' }),
  },
  { title: 'TlsReport' },
);
export type TlsReport = Static<typeof TlsReport>;

export const CheckAdvisory = Type.Object(
  {
    code: stringEnum(CHECK_ADVISORY_CODES),
    severity: stringEnum(ADVISORY_SEVERITIES),
    message: Type.String(),
    action: Type.String({ description: 'What to do.' }),
  },
  { title: 'CheckAdvisory' },
);
export type CheckAdvisory = Static<typeof CheckAdvisory>;

export const SPF_RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'] as const;

export const SenderAuthenticationReport = Type.Object(
  {
    domain: Type.String(),
    spf: Type.Object({
      record: Type.Optional(Type.String()),
      results: Type.Array(Type.Object({ address: Type.String(), result: stringEnum(SPF_RESULTS) }), {
        description: "The SPF verdict for each address the server's host resolves to.",
      }),
      authorisesServer: Type.Boolean(),
    }),
    dmarc: Type.Object({
      record: Type.Optional(Type.String()),
      policy: Type.Optional(Type.String({ description: 'p=: none, quarantine or reject.' })),
    }),
  },
  { title: 'SenderAuthenticationReport' },
);
export type SenderAuthenticationReport = Static<typeof SenderAuthenticationReport>;

export const EmailServerCheckReport = Type.Object(
  {
    emailServerId: Type.String(),
    host: Type.String(),
    port: Type.Integer(),
    tlsMode: stringEnum(TLS_MODES),
    authType: stringEnum(AUTH_TYPES),
    checkedAt: Type.String({ format: 'date-time' }),
    outcome: stringEnum(['passed', 'failed'] as const),
    stages: Type.Array(CheckStageReport),
    failure: Type.Optional(
      Type.Object({
        stage: stringEnum(CHECK_STAGES),
        hint: Type.Optional(Type.String()),
        reply: Type.Optional(reply),
        retryable: Type.Boolean(),
      }),
    ),
    extensions: Type.Array(Type.String(), { description: 'EHLO keywords, after TLS when TLS was set up.' }),
    authMechanisms: Type.Array(Type.String(), {
      description: 'AUTH mechanisms offered, after TLS when TLS was set up.',
    }),
    tls: Type.Optional(TlsReport),
    senderAuthentication: Type.Optional(SenderAuthenticationReport),
    advisories: Type.Array(CheckAdvisory),
  },
  { title: 'EmailServerCheckReport' },
);
export type EmailServerCheckReport = Static<typeof EmailServerCheckReport>;
