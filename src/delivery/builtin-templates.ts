import type { TemplateDeadline } from './deadline.ts';
import { DEFAULT_LOCALE, type TemplateLocales } from './templates.ts';

const layout = (body: string) => `<!doctype html>
<html lang="en">
  <body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; color: #1d1d21; line-height: 1.5;">
    <div style="max-width: 560px; margin: 0 auto; padding: 24px;">
${body}
    </div>
  </body>
</html>
`;

/** The built-in notifications, in English. Operators override them from MAILROUTE_TEMPLATES_DIR. */
export const BUILTIN_TEMPLATES: Record<string, TemplateLocales> = {
  welcome: new Map([
    [
      DEFAULT_LOCALE,
      {
        subject: 'Welcome to {{orgName}}',
        text: `Hello {{firstName}},

Your {{orgName}} account is ready. Sign in here:

{{loginUrl}}

If you did not expect this email, you can ignore it.
`,
        html: layout(`      <p>Hello {{firstName}},</p>
      <p>Your {{orgName}} account is ready.</p>
      <p><a href="{{loginUrl}}" style="background: #1662dd; color: #fff; padding: 10px 16px; border-radius: 4px; text-decoration: none;">Sign in</a></p>
      <p style="color: #6e6e78; font-size: 13px;">If the button does not work, copy this link: {{loginUrl}}<br>If you did not expect this email, you can ignore it.</p>`),
      },
    ],
  ]),
  'account-recovery': new Map([
    [
      DEFAULT_LOCALE,
      {
        subject: 'Reset your password',
        text: `Hello {{firstName}},

A password reset was requested for your account. Reset it here within {{expiresInMinutes}} minutes:

{{recoveryUrl}}

If you did not ask for this, ignore this email: your password stays as it is.
`,
        html: layout(`      <p>Hello {{firstName}},</p>
      <p>A password reset was requested for your account. This link works for {{expiresInMinutes}} minutes.</p>
      <p><a href="{{recoveryUrl}}" style="background: #1662dd; color: #fff; padding: 10px 16px; border-radius: 4px; text-decoration: none;">Reset password</a></p>
      <p style="color: #6e6e78; font-size: 13px;">If the button does not work, copy this link: {{recoveryUrl}}<br>If you did not ask for this, ignore this email: your password stays as it is.</p>`),
      },
    ],
  ]),
  // Sent to the operator's alert addresses through the default server, never the server it is about.
  'server-health-alert': new Map([
    [
      DEFAULT_LOCALE,
      {
        subject: 'Email server {{serverAlias}} is {{state}}',
        text: `The email server {{serverAlias}} ({{serverHost}}) of {{orgName}} is now {{state}}.

Stage: {{stage}}
Server reply: {{reply}}
What to do: {{hint}}

You will get one reminder a day while this lasts, and a message when it recovers.
`,
        html: layout(`      <p>The email server <strong>{{serverAlias}}</strong> ({{serverHost}}) of {{orgName}} is now <strong>{{state}}</strong>.</p>
      <p>Stage: {{stage}}<br>Server reply: {{reply}}<br>What to do: {{hint}}</p>
      <p style="color: #6e6e78; font-size: 13px;">You will get one reminder a day while this lasts, and a message when it recovers.</p>`),
      },
    ],
  ]),
};

/**
 * Default deadlines, also for an operator's own version of these templates: a recovery link is
 * worthless once its `expiresInMinutes` lifetime is over; a welcome is still worth a day of retries.
 * A notification's `expiresAt` or `ttlSeconds` replaces them.
 */
export const BUILTIN_DEADLINES: Record<string, TemplateDeadline> = {
  welcome: { afterMs: 24 * 60 * 60 * 1000 },
  'account-recovery': { minutesVariable: 'expiresInMinutes' },
};
