import type { SmtpAttempt } from '../smtp/classify-error.ts';
import type { EmailServerRecord } from '../store/store.ts';

export interface OutgoingMail {
  /** `Name <address>`, or a name and address kept apart so the name is encoded, never parsed. */
  from: string | { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The same on every attempt, so receivers can drop duplicates. */
  messageId: string;
  /** Cancels the send (its deadline, or a lease the worker can no longer vouch for). */
  signal?: AbortSignal;
}

export interface DeliveryTransport {
  /** `default`, `capture` or a custom server's id: the label attempts and metrics use. */
  server: string;
  /** Resolves with the server's final reply (e.g. `250 OK`). */
  send(mail: OutgoingMail): Promise<{ response: string }>;
  /** What the classifier needs to read a failed send (credentials to redact); none for the capture transport. */
  attempt?: SmtpAttempt;
  close(): void;
}

/** Where workers get a transport for each message's route. */
export interface TransportPool {
  /** A custom server's transport, rebuilt when its configuration or secret changes. */
  forServer(server: EmailServerRecord): Promise<DeliveryTransport>;
  /** The operator's default server, or the capture directory when there is none. */
  forDefault(): Promise<DeliveryTransport>;
  /** Closes a custom server's pooled connections (with QUIT); the next send opens new ones. */
  closeServer(serverId: string): void;
  closeAll(): void;
}
