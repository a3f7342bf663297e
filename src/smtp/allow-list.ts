import { isIP } from 'node:net';

/**
 * One entry of an outbound allow-list: an IP address, a CIDR range or a host name, optionally with
 * a port (`host:port`, `cidr:port`, `[v6]:port`, `[v6/bits]:port`). Without a port an entry opens
 * every port, as it always has; with one, only that port.
 */
export type AllowEntry =
  | { kind: 'host'; host: string; port?: number }
  | { kind: 'address'; address: string; bits?: number; family: 'ipv4' | 'ipv6'; port?: number };

const HOST_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\.?$/;

/** The entry, or undefined when it is none of the accepted forms. */
export function parseAllowEntry(raw: string): AllowEntry | undefined {
  const entry = raw.trim().toLowerCase();
  let target = entry;
  let portText: string | undefined;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) return undefined;
    target = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
    if (isIP(target.split('/')[0]) !== 6) return undefined;
  } else if (entry.split(':').length === 2) {
    [target, portText] = entry.split(':');
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return undefined;
    port = Number(portText);
  }
  const [address, bitsText, extra] = target.split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(address);
  if (family === 0) {
    if (bitsText !== undefined || !HOST_NAME.test(address)) return undefined;
    return { kind: 'host', host: address.replace(/\.$/, ''), ...(port ? { port } : {}) };
  }
  let bits: number | undefined;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > (family === 6 ? 128 : 32)) return undefined;
    bits = Number(bitsText);
  }
  return {
    kind: 'address',
    address,
    family: family === 6 ? 'ipv6' : 'ipv4',
    ...(bits !== undefined ? { bits } : {}),
    ...(port ? { port } : {}),
  };
}

/** Splits a comma-separated allow-list; throws naming the first entry that is not one. */
export function parseAllowList(value: string | undefined, problem: (entry: string) => Error): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) if (!parseAllowEntry(entry)) throw problem(entry);
  return entries;
}
