import Type, { type Static } from 'typebox';

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
