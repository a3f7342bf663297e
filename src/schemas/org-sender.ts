import Type, { type Static } from 'typebox';

const name = Type.Union([Type.String({ maxLength: 255 }), Type.Null()], {
  description: 'Display name shown with the address; null or absent: the address alone. No control characters.',
  examples: ['Acme Alerts'],
});

const address = Type.String({
  maxLength: 254,
  description: 'RFC 5321 mailbox (local@domain), at most 254 characters, no CR or LF. A bad one answers 400 E0000001.',
  examples: ['alerts@acme.example'],
});

export const OrgSenderBody = Type.Object(
  { name: Type.Optional(name), address },
  { title: 'OrgSenderInput', additionalProperties: false },
);
export type OrgSenderBody = Static<typeof OrgSenderBody>;

const Sender = Type.Object({ name, address });

export const OrgSenderResponse = Type.Object(
  {
    sender: Type.Union([Sender, Type.Null()], { description: "The org's own sender; null when unset." }),
    effective: Type.Object(
      {
        name,
        address,
        source: Type.Union([Type.Literal('org'), Type.Literal('emailServer'), Type.Literal('operator')], {
          description:
            "`org`: the org's sender; `emailServer`: the enabled server's username, an address; `operator`: the operator's default (MAILROUTE_MAIL_FROM), always used by the default route.",
        }),
      },
      { description: 'Who the next notification is from: header From, envelope sender and Message-ID domain.' },
    ),
  },
  { title: 'OrgSender' },
);
export type OrgSenderResponse = Static<typeof OrgSenderResponse>;

export const MeResponse = Type.Object(
  {
    org: Type.Object({ id: Type.String(), name: Type.String() }),
    actor: Type.String({ description: 'The API token id, or the OAuth client or subject.' }),
    via: Type.Union([Type.Literal('ssws'), Type.Literal('bearer'), Type.Literal('dpop')]),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'The scopes the credential carries; null: an unrestricted admin API token.',
    }),
  },
  { title: 'Principal' },
);
export type MeResponse = Static<typeof MeResponse>;
