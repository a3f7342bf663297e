/**
 * Sending limits per server (a mailroute extension) and the providers' published limits used when
 * an admin set none. No typebox here: the admin page may bundle it.
 */

export interface SendingLimits {
  /** Connections open at once to the server, per instance. */
  maxConnections?: number;
  messagesPerMinute?: number;
  /** Counted per UTC day. */
  messagesPerDay?: number;
}

export const SENDING_LIMIT_FIELDS = ['maxConnections', 'messagesPerMinute', 'messagesPerDay'] as const;

/** The accepted range of each limit. */
export const SENDING_LIMIT_RANGES = {
  maxConnections: { minimum: 1, maximum: 100 },
  messagesPerMinute: { minimum: 1, maximum: 100_000 },
  messagesPerDay: { minimum: 1, maximum: 100_000_000 },
} as const satisfies Record<(typeof SENDING_LIMIT_FIELDS)[number], { minimum: number; maximum: number }>;

export interface SendingLimitPreset {
  name: string;
  /** Lower-case host names, or patterns where `*` stands for one DNS label. */
  hosts: readonly string[];
  limits: SendingLimits;
}

/**
 * Published limits (sources in the README). Only what the provider publishes: Google's per-user
 * daily caps and SES's sandbox rate; a production SES account's own quota is for the admin to set.
 */
export const SENDING_LIMIT_PRESETS: readonly SendingLimitPreset[] = [
  {
    name: 'microsoft365',
    hosts: ['smtp.office365.com', 'smtp-mail.outlook.com'],
    limits: { maxConnections: 3, messagesPerMinute: 30, messagesPerDay: 10_000 },
  },
  { name: 'gmail', hosts: ['smtp.gmail.com'], limits: { messagesPerDay: 2_000 } },
  { name: 'gmail-relay', hosts: ['smtp-relay.gmail.com'], limits: { messagesPerDay: 10_000 } },
  { name: 'amazon-ses', hosts: ['email-smtp.*.amazonaws.com'], limits: { messagesPerMinute: 60 } },
];

function matches(pattern: string, host: string): boolean {
  const want = pattern.split('.');
  const got = host.split('.');
  return want.length === got.length && want.every((label, i) => label === got[i] || (label === '*' && got[i] !== ''));
}

/** The preset for a host, if any (case and a trailing dot ignored). */
export function presetForHost(host: string): SendingLimitPreset | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  return SENDING_LIMIT_PRESETS.find((preset) => preset.hosts.some((pattern) => matches(pattern, name)));
}

export interface EffectiveSendingLimits extends SendingLimits {
  /** `server` when the admin set them, `preset:<name>` otherwise. */
  source: 'server' | `preset:${string}`;
}

/** The limits a server is held to: its own when set, else its host's preset, else none. */
export function effectiveSendingLimits(server: {
  host: string;
  sendingLimits?: SendingLimits | null;
}): EffectiveSendingLimits | undefined {
  if (server.sendingLimits && Object.keys(server.sendingLimits).length > 0)
    return { ...server.sendingLimits, source: 'server' };
  const preset = presetForHost(server.host);
  return preset ? { ...preset.limits, source: `preset:${preset.name}` } : undefined;
}
