import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { SmtpSettings } from '../config.ts';
import { parseAllowEntry } from './allow-list.ts';

/**
 * Outbound destination guard. A stored host is resolved once; every address it resolves to is
 * vetted, and the connection goes to the vetted address (TLS is still checked against the name),
 * so a second lookup cannot swap in an address that was never vetted (DNS rebinding).
 */

export type GuardPolicy = Pick<SmtpSettings, 'allow' | 'denyPrivate' | 'dnsTimeoutMs'>;

/** Resolves a host name to every address it has, in the resolver's order. */
export type HostLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemLookup: HostLookup = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface VettedDestination {
  /** The host as stored (without IPv6 brackets). */
  host: string;
  /** The vetted address the connection goes to. */
  address: string;
  port: number;
  /** Name TLS verifies the certificate against (and sends as SNI); unset for IP literals. */
  servername?: string;
}

/** The guard's rule that refused an address: for the operator's logs only, never for API answers. */
export type RefusalRule =
  | 'unspecified'
  | 'loopback'
  | 'metadata'
  | 'link-local'
  | 'documentation'
  | 'multicast'
  | 'reserved'
  | 'translated'
  | 'private';

/** Why no connection was attempted. `refused` says nothing more, on purpose: the guard is not an oracle. */
export class DestinationError extends Error {
  constructor(
    readonly reason: 'refused' | 'not_found' | 'dns_failed' | 'dns_timeout',
    readonly code?: string,
    /** Set when refused; kept out of messages, which reach API callers. */
    readonly rule?: RefusalRule,
  ) {
    super(reason === 'refused' ? 'the destination is not allowed' : `host name resolution failed (${code ?? reason})`);
    this.name = 'DestinationError';
  }
}

type Range = [string, number, 'ipv4' | 'ipv6'];

/**
 * Never routable, never a mail server; checked in this order, so the narrower rule names a refusal
 * (the metadata address before the rest of link-local, ::1 before the rest of ::/96).
 */
const NON_ROUTABLE: Array<[Exclude<RefusalRule, 'private'>, Range[]]> = [
  [
    'unspecified',
    [
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ],
  ],
  [
    'loopback',
    [
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ],
  ],
  [
    // Cloud metadata services, some inside ranges that are otherwise allowed (shared or private space).
    'metadata',
    [
      ['169.254.169.254', 32, 'ipv4'],
      ['100.100.100.200', 32, 'ipv4'], // Alibaba Cloud, inside 100.64.0.0/10
      ['fd00:ec2::254', 128, 'ipv6'], // AWS over IPv6, inside fc00::/7
    ],
  ],
  [
    'link-local',
    [
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ],
  ],
  [
    'documentation',
    [
      ['192.0.2.0', 24, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['2001:db8::', 32, 'ipv6'],
    ],
  ],
  [
    'multicast',
    [
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ],
  ],
  [
    'reserved',
    [
      ['192.0.0.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['::', 96, 'ipv6'],
      ['100::', 64, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
    ],
  ],
];

/**
 * IPv6 prefixes whose addresses carry an IPv4 address that a translator or relay on the path turns
 * into a connection to it (possibly loopback or private): the guard cannot tell where they lead.
 */
const EMBEDS_IPV4: Range[] = [
  ['::ffff:0:0', 96, 'ipv6'], // IPv4-mapped
  ['64:ff9b::', 96, 'ipv6'], // NAT64, well-known prefix
  ['64:ff9b:1::', 48, 'ipv6'], // NAT64, local-use prefix
  ['2002::', 16, 'ipv6'], // 6to4
  ['2001::', 32, 'ipv6'], // Teredo
];

/** Private ranges: self-hosted relays live here, so they are allowed unless the operator says otherwise. */
const PRIVATE: Range[] = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
];

function blockList(ranges: Range[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

const nonRoutable = NON_ROUTABLE.map(([rule, ranges]) => [rule, blockList(ranges)] as const);
// Node's BlockList matches IPv4-mapped addresses and IPv4 rules both ways: an allowed IPv4 address
// opens its ::ffff: form, and the ::ffff:0:0/96 rule would match every IPv4 address, so that list
// is consulted for IPv6 addresses only.
const embedsIpv4 = blockList(EMBEDS_IPV4);
const privateRanges = blockList(PRIVATE);

export interface DestinationPolicy {
  /** True when a connection to this address and port (reached through `host`) is allowed. */
  allows(address: string, host: string, port?: number): boolean;
  /** The rule that refuses this address (reached through `host`), or undefined when it is allowed. */
  refusal(address: string, host: string, port?: number): RefusalRule | undefined;
  /** True when the operator's allow-list names this address or host (and port). */
  listed(address: string, host: string, port?: number): boolean;
}

export function createDestinationPolicy(policy: Pick<GuardPolicy, 'allow' | 'denyPrivate'>): DestinationPolicy {
  // Entries that open every port, and the lists of entries that open one port each.
  const anyPort = { hosts: new Set<string>(), addresses: new BlockList() };
  const byPort = new Map<number, { hosts: Set<string>; addresses: BlockList }>();
  for (const raw of policy.allow) {
    const entry = parseAllowEntry(raw);
    if (!entry) continue;
    let lists = anyPort;
    if (entry.port !== undefined) {
      lists = byPort.get(entry.port) ?? { hosts: new Set(), addresses: new BlockList() };
      byPort.set(entry.port, lists);
    }
    if (entry.kind === 'host') lists.hosts.add(entry.host);
    else if (entry.bits === undefined) lists.addresses.addAddress(entry.address, entry.family);
    else lists.addresses.addSubnet(entry.address, entry.bits, entry.family);
  }
  function listed(address: string, host: string, type: 'ipv4' | 'ipv6', port: number | undefined): boolean {
    const lists = [anyPort, ...(port === undefined ? [] : [byPort.get(port)])];
    return lists.some((list) => list && (list.hosts.has(normaliseHost(host)) || list.addresses.check(address, type)));
  }
  function refusal(address: string, host: string, port?: number): RefusalRule | undefined {
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (listed(address, host, type, port)) return undefined;
    for (const [rule, ranges] of nonRoutable) if (ranges.check(address, type)) return rule;
    if (type === 'ipv6' && embedsIpv4.check(address, type)) return 'translated';
    if (policy.denyPrivate && privateRanges.check(address, type)) return 'private';
    return undefined;
  }
  return {
    refusal,
    allows: (address, host, port) => refusal(address, host, port) === undefined,
    listed: (address, host, port) => listed(address, host, isIP(address) === 6 ? 'ipv6' : 'ipv4', port),
  };
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Strips the brackets the API accepts around IPv6 literals. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Resolves `host` once and vets every address. Throws DestinationError when the name does not
 * resolve or when any address is refused (a name that mixes allowed and refused addresses is
 * refused as a whole).
 */
export async function resolveDestination(
  host: string,
  port: number,
  policy: DestinationPolicy,
  options: { lookup?: HostLookup; timeoutMs: number },
): Promise<VettedDestination> {
  const bare = unbracket(host);
  if (isIP(bare) !== 0) {
    // Literals are vetted here, before any lookup or connection (documentation addresses included).
    const rule = policy.refusal(bare, bare, port);
    if (rule) throw new DestinationError('refused', undefined, rule);
    return { host: bare, address: bare, port };
  }
  const lookup = options.lookup ?? systemLookup;
  let timer: NodeJS.Timeout | undefined;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await Promise.race([
      lookup(bare),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DestinationError('dns_timeout')), options.timeoutMs);
      }),
    ]);
  } catch (error) {
    if (error instanceof DestinationError) throw error;
    const code = String((error as { code?: unknown }).code ?? 'EDNS');
    throw new DestinationError(code === 'ENOTFOUND' || code === 'ENODATA' ? 'not_found' : 'dns_failed', code);
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new DestinationError('not_found', 'ENODATA');
  for (const { address } of addresses) {
    const rule = policy.refusal(address, bare, port);
    if (rule) throw new DestinationError('refused', undefined, rule);
  }
  return { host: bare, address: addresses[0].address, port, servername: bare.replace(/\.$/, '') };
}
