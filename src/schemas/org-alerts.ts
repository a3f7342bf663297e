import Type, { type Static } from 'typebox';

/** Enough for a team's list; more belongs in a mailing list the org runs. */
export const MAX_HEALTH_ALERT_EMAILS = 20;

const healthAlertEmails = Type.Array(Type.String({ examples: ['oncall@acme.example'] }), {
  maxItems: MAX_HEALTH_ALERT_EMAILS,
  description: `Up to ${MAX_HEALTH_ALERT_EMAILS} RFC 5321 mailboxes that get an email on each change of a server's health (and a daily reminder while trouble lasts), through the operator's default server. Empty: none. A bad address answers 400 E0000001 naming \`healthAlertEmails\`.`,
});

export const OrgHealthAlertsBody = Type.Object(
  { healthAlertEmails },
  { title: 'OrgHealthAlertsInput', additionalProperties: false },
);
export type OrgHealthAlertsBody = Static<typeof OrgHealthAlertsBody>;

export const OrgHealthAlertsResponse = Type.Object({ healthAlertEmails }, { title: 'OrgHealthAlerts' });
