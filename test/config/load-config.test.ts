import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('reads the outbound allow-list from MAILROUTE_OUTBOUND_ALLOW, else from its former name', () => {
    assert.deepEqual(loadConfig({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1' }).smtp.allow, ['127.0.0.1']);
    assert.deepEqual(loadConfig({ MAILROUTE_SMTP_ALLOW: '10.0.0.0/8' }).smtp.allow, ['10.0.0.0/8']);
    assert.deepEqual(
      loadConfig({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1', MAILROUTE_SMTP_ALLOW: '10.0.0.0/8' }).smtp.allow,
      ['127.0.0.1'],
    );
    assert.throws(() => loadConfig({ MAILROUTE_OUTBOUND_ALLOW: 'http://x' }), /MAILROUTE_OUTBOUND_ALLOW/);
  });

  it('reads MAILROUTE_DNS_SERVERS as IPs with optional ports, and refuses anything else', () => {
    assert.deepEqual(loadConfig({}).smtp.dnsServers, []);
    assert.deepEqual(loadConfig({ MAILROUTE_DNS_SERVERS: '127.0.0.1:5353, ::1,[::1]:53' }).smtp.dnsServers, [
      '127.0.0.1:5353',
      '::1',
      '[::1]:53',
    ]);
    for (const bad of ['dns.example.com', '127.0.0.1:99999', 'udp://127.0.0.1'])
      assert.throws(() => loadConfig({ MAILROUTE_DNS_SERVERS: bad }), /MAILROUTE_DNS_SERVERS/, bad);
  });

  it('fills every default from the declarations', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.dataDir, path.resolve('data'));
    assert.equal(config.delivery.captureDir, path.resolve('data', 'captured-mail'));
    assert.equal(config.delivery.fromAddress, 'mailroute <no-reply@mailroute.localhost>');
    assert.equal(config.delivery.defaultSmtp, undefined);
    assert.equal(config.smtp.denyPrivate, false);
    assert.equal(config.delivery.workers, true);
    assert.deepEqual(config.rateLimits, {
      windowSeconds: 60,
      buckets: { general: 600, test: 10, notifications: 12_000 },
    });
    assert.ok(Object.isFrozen(config));
  });

  it('treats an empty value as unset, except for the Redis key prefix', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: '', MAILROUTE_REDIS_KEY_PREFIX: '' });
    assert.equal(config.port, 8080);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.redisKeyPrefix, '');
  });

  it('computes derived values once: public URL, the default SMTP server', () => {
    const config = loadConfig({
      HOST: '::1',
      PORT: '9000',
      MAILROUTE_MAIL_FROM: 'Alerts <alerts@notify.example.com>',
      MAILROUTE_DEFAULT_SMTP_URL: 'smtps://relay%40example.com:p%3Ass@[2001:db8::25]?tls=none',
    });
    assert.equal(config.publicUrl, 'http://[::1]:9000');
    assert.equal(config.delivery.fromAddress, 'Alerts <alerts@notify.example.com>');
    assert.deepEqual(config.delivery.defaultSmtp, {
      host: '2001:db8::25',
      port: 465,
      tlsMode: 'none',
      username: 'relay@example.com',
      password: 'p:ss',
    });
    assert.equal(
      loadConfig({ MAILROUTE_PUBLIC_URL: 'https://mail.example.com/base//' }).publicUrl,
      'https://mail.example.com/base',
    );
    assert.equal(
      loadConfig({ MAILROUTE_DEFAULT_SMTP_URL: 'smtp://relay.example.com' }).delivery.defaultSmtp?.port,
      587,
    );
  });

  it('reads the health settings: probe interval in ms, alert addresses trimmed; a bad address is named by position only', () => {
    const config = loadConfig({
      MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS: '60',
      MAILROUTE_HEALTH_ALERT_EMAILS: ' ops@example.com, oncall@example.org ',
    });
    assert.deepEqual(config.health, {
      probeIntervalMs: 60_000,
      alertEmails: ['ops@example.com', 'oncall@example.org'],
    });
    assert.equal(loadConfig({}).health.probeIntervalMs, 300_000);
    assert.throws(
      () => loadConfig({ MAILROUTE_HEALTH_ALERT_EMAILS: 'ops@example.com,not-an-address' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes('MAILROUTE_HEALTH_ALERT_EMAILS: entry 2') &&
        !error.message.includes('not-an-address'),
    );
  });

  it('names every failing variable in one ConfigError', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', MAILROUTE_RESPONSE_SHAPE: 'xml', MAILROUTE_DELIVERY_MAX_ATTEMPTS: '0' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          'PORT must be an integer between 0 and 65535, got "eighty"; ' +
            'MAILROUTE_RESPONSE_SHAPE must be one of auto, documented, okta, got "xml"; ' +
            'MAILROUTE_DELIVERY_MAX_ATTEMPTS must be an integer between 1 and 1000, got "0"',
    );
  });

  it('refuses public URLs that are not absolute http(s) URLs', () => {
    for (const value of [
      'mail.example.com',
      'ftp://mail.example.com',
      'https://',
      'http://mail.example.com:99999',
      'https://mail.example.com/?a=b',
    ]) {
      assert.throws(
        () => loadConfig({ MAILROUTE_PUBLIC_URL: value }),
        /MAILROUTE_PUBLIC_URL must be an absolute/,
        value,
      );
    }
  });

  it('keeps org and orgClaim exclusive, although the org has a default', () => {
    const issuer = 'https://id.example.com/oauth2/default';
    assert.deepEqual(
      loadConfig({ MAILROUTE_OAUTH_ISSUER: issuer, MAILROUTE_OAUTH_ORG_CLAIM: 'tenant' }).oauth.issuers,
      [{ issuer, jwksUri: `${issuer}/v1/keys`, audience: 'api://default', orgClaim: 'tenant' }],
    );
    assert.throws(
      () =>
        loadConfig({
          MAILROUTE_OAUTH_ISSUER: issuer,
          MAILROUTE_OAUTH_ORG_CLAIM: 'tenant',
          MAILROUTE_OAUTH_ORG: 'acme',
        }),
      /set org or orgClaim, not both/,
    );
    const fromJson = loadConfig({ MAILROUTE_OAUTH_ISSUERS: JSON.stringify([{ issuer }]) }).oauth.issuers[0];
    assert.deepEqual(fromJson, { issuer, jwksUri: `${issuer}/v1/keys`, audience: 'api://default', org: 'default' });
    assert.throws(
      () => loadConfig({ MAILROUTE_OAUTH_ISSUER: issuer, MAILROUTE_OAUTH_JWKS_URI: 'not a url' }),
      /jwksUri is not a URL/,
    );
  });

  it('bounds slow HTTP clients by default, and checks the deadlines and trusted proxies', () => {
    assert.deepEqual(loadConfig({}).http, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1000,
      trustProxy: [],
    });
    assert.throws(
      () => loadConfig({ MAILROUTE_HTTP_HEADERS_TIMEOUT_MS: '60000', MAILROUTE_HTTP_REQUEST_TIMEOUT_MS: '5000' }),
      /MAILROUTE_HTTP_HEADERS_TIMEOUT_MS must not exceed MAILROUTE_HTTP_REQUEST_TIMEOUT_MS/,
    );
    assert.deepEqual(loadConfig({ MAILROUTE_HTTP_TRUST_PROXY: '10.0.0.0/8, ::1' }).http.trustProxy, [
      '10.0.0.0/8',
      '::1',
    ]);
    for (const value of ['proxy.example.com', '10.0.0.0/33', '1.2.3.4/8/1']) {
      assert.throws(
        () => loadConfig({ MAILROUTE_HTTP_TRUST_PROXY: value }),
        /not an IP address or a CIDR range/,
        value,
      );
    }
  });
});
