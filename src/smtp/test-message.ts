import { randomBytes } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { escapeHtml } from './escape-html.ts';

export interface TestMessageInput {
  alias: string;
  host: string;
  port: number;
  from: string;
  to: string;
  now: Date;
}

/**
 * A small, well-formed test email as the raw RFC 5322 message the session sends with DATA: subject
 * naming the server's alias, text and HTML parts, Date and Message-ID. It names the server's host
 * and port (already known to the admin) and nothing secret.
 */
export function buildTestMessage(input: TestMessageInput): Promise<Buffer> {
  return new MailComposer(testMessageOptions(input)).compile().build();
}

function testMessageOptions(input: TestMessageInput): SendMailOptions {
  const domain = input.from.slice(input.from.lastIndexOf('@') + 1).replace(/^\[|\]$/g, '') || 'mailroute.invalid';
  const when = input.now.toUTCString();
  const lines = [
    `This is a test message from mailroute, sent through the SMTP server "${input.alias}" (${input.host}:${input.port}).`,
    '',
    'If you can read this, the server accepted mail from mailroute: the connection, TLS, sign-in and delivery settings work.',
    '',
    `Sent: ${when}`,
  ];
  return {
    from: input.from,
    to: input.to,
    subject: `mailroute test message for SMTP server "${input.alias}"`,
    date: input.now,
    messageId: `<test.${randomBytes(12).toString('hex')}@${domain}>`,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Mailroute-Test': 'yes' },
    text: lines.join('\n'),
    html: [
      '<!doctype html><html><body style="font-family: sans-serif">',
      `<h1 style="font-size: 18px">mailroute test message</h1>`,
      `<p>Sent through the SMTP server <strong>${escapeHtml(input.alias)}</strong> (${escapeHtml(input.host)}:${input.port}).</p>`,
      '<p>If you can read this, the server accepted mail from mailroute: the connection, TLS, sign-in and delivery settings work.</p>',
      `<p style="color: #666">Sent: ${escapeHtml(when)}</p>`,
      '</body></html>',
    ].join('\n'),
  };
}
