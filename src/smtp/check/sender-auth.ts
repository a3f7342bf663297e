import { createRequire } from 'node:module';
import { type SenderAuthenticationReport, SPF_RESULTS } from '../../schemas/email-server-check.ts';
import type { DnsResolver } from '../dns-resolver.ts';

type DmarcRecord = false | { p?: string; rr: string };
type GetDmarcRecord = (domain: string, resolve: DnsResolver['resolve']) => Promise<DmarcRecord>;

type SpfResult = (typeof SPF_RESULTS)[number];

/**
 * SPF and DMARC of the sender's domain, through the same resolver as the host lookups. SPF is
 * evaluated for every address the server's host resolves to; the outbound address of a relay can
 * differ from those, so a verdict here is advice, not proof.
 */
export async function checkSenderAuthentication(input: {
  fromAddress: string;
  serverAddresses: readonly string[];
  ehloName?: string;
  dns: DnsResolver;
}): Promise<SenderAuthenticationReport> {
  // mailauth (with its HTTP client and schema library) is loaded by the first check, not at start-up.
  const { spf } = await import('mailauth');
  // mailauth's DMARC lookup (with its fallback to the organisational domain) has no type declarations.
  const getDmarcRecord = createRequire(import.meta.url)('mailauth/lib/dmarc/get-dmarc-record.js') as GetDmarcRecord;
  const domain = input.fromAddress.slice(input.fromAddress.lastIndexOf('@') + 1).toLowerCase();
  let record: string | undefined;
  const results: SenderAuthenticationReport['spf']['results'] = [];
  for (const address of input.serverAddresses) {
    const verdict = await spf({
      sender: input.fromAddress,
      ip: address,
      helo: input.ehloName,
      mta: input.ehloName,
      resolver: input.dns.resolve as never,
    });
    record ??= verdict.rr || undefined;
    results.push({ address, result: spfResult(verdict.status.result) });
  }
  let dmarc: DmarcRecord = false;
  try {
    dmarc = await getDmarcRecord(domain, input.dns.resolve);
  } catch {
    // A failing lookup reads as no record; the SPF results carry the resolver's trouble.
  }
  return {
    domain,
    spf: {
      ...(record ? { record } : {}),
      results,
      authorisesServer: results.length > 0 && results.every((result) => result.result === 'pass'),
    },
    dmarc: dmarc ? { record: dmarc.rr, ...(dmarc.p ? { policy: dmarc.p.toLowerCase() } : {}) } : {},
  };
}

function spfResult(value: string): SpfResult {
  if (value === 'temperr') return 'temperror';
  return (SPF_RESULTS as readonly string[]).includes(value) ? (value as SpfResult) : 'permerror';
}
