import Type, { type Static } from 'typebox';
import { OktaError } from './error.ts';

/** Body of POST /api/v1/email-servers/{id}/test. Okta has used two spellings; both are accepted. */

const address = (description: string) =>
  Type.String({
    maxLength: 254,
    description: `${description} RFC 5321 mailbox (local@domain), at most 254 characters, no CR or LF.`,
    examples: ['admin@example.com'],
  });

export const EmailTestAddresses = Type.Object(
  {
    fromAddress: Type.Optional(address('Sender of the test message (Okta 2025.10+ and Node SDK 8.x).')),
    toAddress: Type.Optional(address('Recipient of the test message (Okta 2025.10+ and Node SDK 8.x).')),
    from: Type.Optional(address('Older spelling of fromAddress (earlier Okta specs, Node SDK 7.x).')),
    to: Type.Optional(address('Older spelling of toAddress (earlier Okta specs, Node SDK 7.x).')),
  },
  {
    title: 'EmailTestAddresses',
    description:
      'Send `fromAddress` and `toAddress`, or `from` and `to`. Both addresses are required; a missing or invalid one answers 400 E0000001 naming the field.',
  },
);
export type EmailTestAddresses = Static<typeof EmailTestAddresses>;

/** The steps of a real send, in the order they run (STARTTLS's `tls` comes after `greeting`). */
export const SMTP_STAGES = ['dns', 'connect', 'tls', 'greeting', 'auth', 'sender', 'recipient', 'data'] as const;
export type SmtpStage = (typeof SMTP_STAGES)[number];

const text = (description: string) => Type.Optional(Type.String({ description }));

/** The same facts as the failure's `errorCauses` lines, as data. */
export const SmtpTestDiagnosis = Type.Object(
  {
    stage: Type.Optional(
      Type.Unsafe<SmtpStage>({ type: 'string', enum: [...SMTP_STAGES], description: 'The step that failed.' }),
    ),
    reply: Type.Optional(
      Type.Object(
        { code: Type.Integer(), text: Type.String() },
        { description: "The server's reply, one line, credentials redacted." },
      ),
    ),
    tls: Type.Optional(
      Type.Object({
        subject: text('Subject of the certificate the server presented.'),
        issuer: text('Its issuer.'),
        reason: text('Why TLS failed.'),
      }),
    ),
    oauth: Type.Optional(
      Type.Object({
        error: text("The token endpoint's `error`."),
        errorDescription: text("The token endpoint's `error_description`."),
      }),
    ),
    hint: text('What to do.'),
    refused: Type.Optional(
      Type.Boolean({ description: 'True when the outbound guard refused the destination; nothing else is said.' }),
    ),
  },
  { title: 'SmtpTestDiagnosis' },
);
export type SmtpTestDiagnosis = Static<typeof SmtpTestDiagnosis>;

/** Okta's error envelope, plus the diagnosis as data when the request asked for `expand=diagnosis`. */
export const EmailServerTestError = Type.Object(
  {
    ...OktaError.properties,
    diagnosis: Type.Optional(SmtpTestDiagnosis),
  },
  { title: 'EmailServerTestError' },
);

export const EmailServerTestQuery = Type.Object({
  expand: Type.Optional(
    Type.Literal('diagnosis', {
      description:
        'Extension: add `diagnosis` (the errorCauses facts as an object) to a failed test. Okta clients omit it.',
    }),
  ),
});
