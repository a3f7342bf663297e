import Type from 'typebox';
import { stringEnum } from './string-enum.ts';

/** A server's health: from real deliveries and from scheduled probes. */
export const SERVER_HEALTH_STATES = ['healthy', 'degraded', 'failing', 'unknown'] as const;
export type ServerHealthState = (typeof SERVER_HEALTH_STATES)[number];

export const ADVISORY_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AdvisorySeverity = (typeof ADVISORY_SEVERITIES)[number];

const Advisory = Type.Object({
  code: Type.String(),
  severity: stringEnum(ADVISORY_SEVERITIES),
});

const Failure = Type.Object({
  at: Type.String({ format: 'date-time' }),
  stage: Type.String({ description: 'Where the session failed: connect, greeting, ehlo, tls, auth, …' }),
  reply: Type.Union([Type.String(), Type.Null()], { description: "The server's reply, credentials redacted" }),
  hint: Type.Union([Type.String(), Type.Null()]),
});

export const EmailServerHealth = Type.Object(
  {
    serverId: Type.String(),
    state: stringEnum(SERVER_HEALTH_STATES),
    since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the server entered this state; null while unknown',
    }),
    lastSuccess: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastFailure: Type.Union([Failure, Type.Null()]),
    advisories: Type.Array(Advisory),
    lastProbeAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'EmailServerHealth' },
);

export const EmailServerHealthList = Type.Array(EmailServerHealth);
