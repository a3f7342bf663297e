import dns from 'node:dns';
import { type HostLookup, systemLookup } from './destination-guard.ts';

/**
 * The one DNS resolver for outbound work: host lookups for the destination guard and TXT lookups
 * for SPF and DMARC. Pointed at given servers, no query goes to the system resolver, which is how
 * an operator pins lookups to an internal resolver (and how tests answer from their own zone).
 */
export interface DnsResolver {
  lookup: HostLookup;
  /** `dns.promises.resolve`'s shape, as mailauth takes it. */
  resolve(name: string, rrtype: string): Promise<unknown[]>;
}

export function createDnsResolver(servers: readonly string[], timeoutMs: number): DnsResolver {
  if (servers.length === 0) {
    return {
      lookup: systemLookup,
      resolve: (name, rrtype) => dns.promises.resolve(name, rrtype) as Promise<unknown[]>,
    };
  }
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers([...servers]);
  return {
    async lookup(hostname) {
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
      const addresses = [
        ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
        ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
      ];
      if (addresses.length > 0) return addresses;
      // A name with no address of either family is not found; a resolver failure says why.
      const failure = [v4, v6].find(
        (result): result is PromiseRejectedResult =>
          result.status === 'rejected' && !['ENODATA', 'ENOTFOUND'].includes(String(result.reason?.code)),
      );
      if (failure) throw failure.reason;
      throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    },
    resolve: (name, rrtype) => resolver.resolve(name, rrtype) as Promise<unknown[]>,
  };
}
