import { AUTH_TYPE_CATALOGUE, type AuthType } from '../../schemas/auth-types.ts';
import {
  CHECK_ADVISORY_CATALOGUE,
  type CheckAdvisory,
  type CheckAdvisoryCode,
  type SenderAuthenticationReport,
  type TlsReport,
} from '../../schemas/email-server-check.ts';

/** Advice from what a check saw: each finding with its catalogued severity and what to do. */

const EXPIRY_WARNING_DAYS = 30;
const MODERN_TLS = new Set(['TLSv1.2', 'TLSv1.3']);
// Providers retiring password sign-in to SMTP: Microsoft 365 turns SMTP AUTH basic authentication
// off by default (existing tenants from the end of December 2026); Google no longer accepts it for most accounts.
const BASIC_AUTH_RETIRING = [
  { provider: 'Microsoft 365', hosts: /(^|\.)(office365\.com|outlook\.com|protection\.outlook\.com)$/i },
  { provider: 'Google Workspace / Gmail', hosts: /(^|\.)(gmail\.com|googlemail\.com|google\.com)$/i },
];

function advisory(code: CheckAdvisoryCode, message: string, action: string): CheckAdvisory {
  return { code, severity: CHECK_ADVISORY_CATALOGUE[code].severity, message, action };
}

export function tlsAdvisories(report: TlsReport): CheckAdvisory[] {
  const advisories: CheckAdvisory[] = [];
  if (!MODERN_TLS.has(report.protocol)) {
    advisories.push(
      advisory(
        'tls_outdated',
        `the server negotiated ${report.protocol}, older than TLS 1.2, which mailroute refuses`,
        'enable TLS 1.2 or 1.3 on the server',
      ),
    );
  }
  if (!report.nameMatches) {
    advisories.push(
      advisory(
        'certificate_name_mismatch',
        'the certificate does not name the configured host',
        'use a host name the certificate lists, or fix the certificate',
      ),
    );
  }
  report.chain.forEach((certificate, index) => {
    const which = index === 0 ? 'the server certificate' : `the chain certificate ${certificate.subject}`;
    if (certificate.daysLeft < 0) {
      advisories.push(
        advisory(
          'certificate_expired',
          `${which} expired on ${certificate.validTo}`,
          'renew the certificate on the server',
        ),
      );
    } else if (certificate.daysLeft < EXPIRY_WARNING_DAYS) {
      advisories.push(
        advisory(
          'certificate_expiring',
          `${which} expires on ${certificate.validTo}, in ${certificate.daysLeft} days`,
          'renew the certificate before it expires; mail stops when it does',
        ),
      );
    }
  });
  return advisories;
}

export function basicAuthAdvisories(host: string, authType: AuthType): CheckAdvisory[] {
  if (AUTH_TYPE_CATALOGUE[authType].family !== 'password') return [];
  const match = BASIC_AUTH_RETIRING.find(({ hosts }) => hosts.test(host.replace(/\.$/, '')));
  if (!match) return [];
  const fieldsOf = (type: 'OAUTH2_CLIENT_CREDENTIALS' | 'OAUTH2_JWT_BEARER_GRANT') =>
    `authType ${type} with ${AUTH_TYPE_CATALOGUE[type].fields.join(', ')}`;
  return [
    advisory(
      'basic_auth_retiring',
      `${match.provider} is retiring password (basic) sign-in to SMTP: Microsoft disables SMTP AUTH basic authentication by default, existing tenants from the end of December 2026`,
      `switch to OAuth 2.0: ${fieldsOf('OAUTH2_CLIENT_CREDENTIALS')}; or ${fieldsOf('OAUTH2_JWT_BEARER_GRANT')}`,
    ),
  ];
}

export function senderAdvisories(report: SenderAuthenticationReport): CheckAdvisory[] {
  const advisories: CheckAdvisory[] = [];
  const { domain, spf, dmarc } = report;
  const results = new Set(spf.results.map((entry) => entry.result));
  if (results.has('none') || (!spf.record && results.size === 0)) {
    advisories.push(
      advisory(
        'spf_missing',
        `${domain} publishes no SPF record`,
        `publish an SPF TXT record for ${domain} naming the server's outbound addresses`,
      ),
    );
  } else if (results.has('temperror') || results.has('permerror')) {
    advisories.push(
      advisory(
        'spf_error',
        `the SPF record of ${domain} could not be evaluated`,
        'fix the SPF record (syntax, lookups, at most 10 DNS mechanisms)',
      ),
    );
  } else if (!spf.authorisesServer) {
    const refused = spf.results.filter((entry) => entry.result !== 'pass').map((entry) => entry.address);
    advisories.push(
      advisory(
        'spf_not_authorising',
        `the SPF record of ${domain} does not authorise ${refused.join(', ')} (the server's addresses; its outbound address can differ)`,
        `add the server's outbound addresses (or its provider's include:) to the SPF record of ${domain}`,
      ),
    );
  }
  if (!dmarc.record) {
    advisories.push(
      advisory(
        'dmarc_missing',
        `${domain} publishes no DMARC record`,
        `publish a TXT record at _dmarc.${domain}, e.g. "v=DMARC1; p=quarantine"`,
      ),
    );
  } else if (dmarc.policy === 'none' || !dmarc.policy) {
    advisories.push(
      advisory(
        'dmarc_not_enforcing',
        `the DMARC policy of ${domain} is p=none: only monitoring`,
        'once reports look clean, move to p=quarantine or p=reject',
      ),
    );
  }
  return advisories;
}

/** What the EHLO replies before and after TLS say about how the server treats credentials. */
export function sessionAdvisories(input: {
  tlsMode: 'implicit' | 'starttls' | 'none';
  port: number;
  startTlsOffered: boolean;
  authBeforeTls: boolean;
  authAfterTls: boolean | undefined;
}): CheckAdvisory[] {
  const advisories: CheckAdvisory[] = [];
  if (input.tlsMode !== 'implicit' && !input.startTlsOffered && (input.tlsMode === 'starttls' || input.port === 587)) {
    advisories.push(
      advisory(
        'starttls_missing',
        `the server on port ${input.port} does not offer STARTTLS`,
        'enable STARTTLS on the server, or use its implicit-TLS port (465) with tlsMode implicit',
      ),
    );
  }
  if (input.authBeforeTls && input.authAfterTls === false) {
    advisories.push(
      advisory(
        'auth_only_before_tls',
        'the server offers AUTH only before TLS, so a client would send credentials in clear',
        'configure the server to offer AUTH after STARTTLS (and not before)',
      ),
    );
  }
  return advisories;
}
