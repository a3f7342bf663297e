import type { SMTPServerOptions } from 'smtp-server';

/** The commands an smtp-server test server receives, by session, read from its debug log. */
export interface SmtpCommandLog {
  /** Pass as the test server's `options`. */
  options: Partial<SMTPServerOptions>;
  /** Each session's command verbs in order (EHLO, STARTTLS, AUTH, MAIL, ..., QUIT). */
  sessions: Map<string, string[]>;
  /** Sessions whose connection has closed. */
  closed: Set<string>;
}

export function smtpCommandLog(): SmtpCommandLog {
  const sessions = new Map<string, string[]>();
  const closed = new Set<string>();
  const record = (entry: { tnx?: string; cid?: string; command?: string }) => {
    if (entry?.tnx !== 'command' || !entry.cid || !entry.command) return;
    sessions.set(entry.cid, [...(sessions.get(entry.cid) ?? []), entry.command]);
  };
  const none = () => {};
  const logger = { trace: none, debug: record, info: none, warn: none, error: none, fatal: none, child: () => logger };
  return {
    sessions,
    closed,
    options: {
      logger: logger as unknown as SMTPServerOptions['logger'],
      onClose(session) {
        closed.add(session.id);
      },
    },
  };
}
