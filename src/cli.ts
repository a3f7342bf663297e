import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { isScope, SCOPES } from './schemas/scopes.ts';
import { addKeyToFile, KEY_FILE_NAME } from './secrets/keyring.ts';
import { rotateKeys } from './secrets/rotate-keys.ts';

const USAGE = `Usage: npm run cli -- <command>

  tokens create --name NAME [--org ORG_ID] [--scopes a,b] [--expires-in-days DAYS]
                        create an SSWS API token; its secret is printed once.
                        Scopes: ${SCOPES.join(', ')}
  tokens list [--org ORG_ID]
                        list API tokens (never their secrets)
  tokens revoke TOKEN_ID
                        revoke an API token; it stops working on its next request
  keys rotate           add a new encryption key (when keys live in the data directory) and
                        re-encrypt every stored secret and all notification content under
                        the newest key
  orgs create NAME      create an org
  orgs list             list orgs

Settings come from the same environment variables as the server (MAILROUTE_DATA_DIR,
DATABASE_URL, MAILROUTE_ENCRYPTION_KEYS, ...).`;

const DAY_MS = 86_400_000;

class UsageError extends Error {}
/** The command was well-formed but names something that does not exist: exit 1, not 2. */
class NotFoundError extends Error {}

type Out = (line: string) => void;

async function run(argv: string[], out: Out): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    out(USAGE);
    return group ? 0 : 2;
  }
  const config = loadConfig();
  const command = `${group} ${action ?? ''}`.trim();

  // Rotation with a key file: the new key goes in before the keyring is loaded, so it is the newest.
  let addedKey = false;
  if (command === 'keys rotate' && !config.encryptionKeys) {
    const keyFile = path.join(config.dataDir, KEY_FILE_NAME);
    if (fs.existsSync(keyFile)) {
      addKeyToFile(keyFile);
      addedKey = true;
    }
  }

  const runtime = await openRuntime(config, { allowMissingKeys: command === 'keys rotate' });
  try {
    switch (command) {
      case 'tokens create':
        return await createToken(runtime, rest, out);
      case 'tokens list':
        return await listTokens(runtime, rest, out);
      case 'tokens revoke':
        return await revokeToken(runtime, rest, out);
      case 'keys rotate':
        return await rotateKeysCommand(runtime, addedKey, out);
      case 'orgs create':
        return await createOrg(runtime, rest, out);
      case 'orgs list':
        return await listOrgs(runtime, out);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await runtime.close();
  }
}

async function createToken({ services, now }: Runtime, args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      org: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in-days': { type: 'string' },
    },
  });
  const name = values.name?.trim();
  if (!name) throw new UsageError('tokens create needs --name NAME');
  if (name.length > 255) throw new UsageError('--name must be at most 255 characters');

  const orgId = await resolveOrg(services.orgs, values.org);
  let scopes: string[] | null = null;
  if (values.scopes !== undefined) {
    scopes = values.scopes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = scopes.filter((s) => !isScope(s));
    if (scopes.length === 0 || unknown.length > 0) {
      throw new UsageError(
        `--scopes must list some of: ${SCOPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
      );
    }
  }
  let expiresAt: number | null = null;
  if (values['expires-in-days'] !== undefined) {
    const days = Number(values['expires-in-days']);
    // A token that expires as it is made would be useless: 0 is refused, fractions (0.5) are not.
    if (!Number.isFinite(days) || days <= 0 || days > 3650)
      throw new UsageError('--expires-in-days must be a number of days greater than 0 and at most 3650');
    expiresAt = now() + Math.round(days * DAY_MS);
  }

  const { token, secret } = await services.apiTokens.create(orgId, name, { scopes, expiresAt });
  out(`Created API token ${token.id} "${token.name}" for org ${token.orgId}`);
  out(`Scopes: ${scopes ? scopes.join(', ') : 'all (admin)'}`);
  out(`Expires: ${expiresAt ? new Date(expiresAt).toISOString() : 'never'}`);
  out('');
  out('Secret (shown only this once; only its hash is stored):');
  out(`  ${secret}`);
  out('');
  out(`Use it as:  Authorization: SSWS ${secret}`);
  return 0;
}

async function listTokens({ services }: Runtime, args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } } });
  const tokens = await services.apiTokens.list(values.org);
  out(['ID', 'ORG', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'NAME'].join('\t'));
  for (const token of tokens) {
    out(
      [
        token.id,
        token.orgId,
        services.apiTokens.status(token),
        token.scopes ? token.scopes.join(',') : 'all',
        iso(token.createdAt),
        iso(token.expiresAt),
        iso(token.lastUsedAt),
        token.name,
      ].join('\t'),
    );
  }
  return 0;
}

async function revokeToken({ services }: Runtime, args: string[], out: Out): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError('tokens revoke needs exactly one TOKEN_ID');
  if (!(await services.apiTokens.revoke(id))) {
    process.stderr.write(`mailroute: no active API token with id ${id}\n`);
    return 1;
  }
  out(`Revoked API token ${id}`);
  return 0;
}

async function rotateKeysCommand({ store, secretBox, keyFile }: Runtime, addedKey: boolean, out: Out): Promise<number> {
  const keyId = secretBox.currentKeyId;
  if (addedKey) out(`Added encryption key ${keyId} to ${keyFile}`);
  else if (!keyFile) out(`Keys come from MAILROUTE_ENCRYPTION_KEYS: re-encrypting under its last key, ${keyId}`);
  else out(`Created the key file ${keyFile} with key ${keyId}`);

  const report = await rotateKeys({
    emailServers: store.emailServers,
    outbox: store.outbox,
    eventHooks: store.eventHooks,
    secretBox,
  });
  const { serverSecrets, content, hookSecrets } = report;
  out(
    `Stored secrets: ${serverSecrets.examined}; re-encrypted: ${serverSecrets.reencrypted}; already under ${report.keyId}: ${serverSecrets.current}; ` +
      `failed: ${serverSecrets.failed.length}; changed meanwhile (left as written): ${serverSecrets.skipped}`,
  );
  for (const failure of serverSecrets.failed) {
    out(
      `  could not re-encrypt the ${failure.field} of server ${failure.serverId} (org ${failure.orgId}, key ${failure.keyId ?? '?'}): ${failure.reason}`,
    );
  }
  out(
    `Notification content: ${content.examined}; re-encrypted: ${content.reencrypted}; already under ${report.keyId}: ${content.current}; ` +
      `failed: ${content.failed.length}; purged or changed meanwhile (left as written): ${content.skipped}`,
  );
  for (const failure of content.failed) {
    out(
      `  could not re-encrypt the content of message ${failure.messageId} (org ${failure.orgId}, key ${failure.keyId ?? '?'}): ${failure.reason}`,
    );
  }
  out(
    `Event hook secrets: ${hookSecrets.examined}; re-encrypted: ${hookSecrets.reencrypted}; already under ${report.keyId}: ${hookSecrets.current}; ` +
      `failed: ${hookSecrets.failed.length}; changed meanwhile (left as written): ${hookSecrets.skipped}`,
  );
  for (const failure of hookSecrets.failed) {
    out(
      `  could not re-encrypt the auth value of event hook ${failure.hookId} (org ${failure.orgId}, key ${failure.keyId ?? '?'}): ${failure.reason}`,
    );
  }
  out(
    keyFile
      ? `Running mailroute instances on this data directory read the new key from ${keyFile} when they meet it; no restart is needed.`
      : `Give every mailroute instance the same MAILROUTE_ENCRYPTION_KEYS (with ${keyId} last) and restart them: keys from the environment are read only at start.`,
  );
  return serverSecrets.failed.length + content.failed.length + hookSecrets.failed.length > 0 ? 1 : 0;
}

async function createOrg({ services }: Runtime, args: string[], out: Out): Promise<number> {
  const name = args.join(' ').trim();
  if (!name) throw new UsageError('orgs create needs a NAME');
  if (name.length > 255) throw new UsageError('the org name must be at most 255 characters');
  const { id } = await services.orgs.create(name);
  out(`Created org ${id} "${name}"`);
  out(`Give it a token with:  npm run cli -- tokens create --org ${id} --name NAME`);
  return 0;
}

async function listOrgs({ services }: Runtime, out: Out): Promise<number> {
  out(['ID', 'CREATED', 'NAME'].join('\t'));
  for (const org of await services.orgs.list()) out([org.id, iso(org.createdAt), org.name].join('\t'));
  return 0;
}

/** The given org, which must exist; without one, the default (first) org. */
async function resolveOrg(orgs: Runtime['services']['orgs'], orgId: string | undefined): Promise<string> {
  if (orgId) {
    if (!(await orgs.get(orgId))) throw new NotFoundError(`no org with id ${orgId} (see: npm run cli -- orgs list)`);
    return orgId;
  }
  const [first] = await orgs.list();
  if (!first)
    throw new UsageError(
      'there is no org yet: start the server once (npm start) or run: npm run cli -- orgs create NAME',
    );
  return first.id;
}

function iso(epochMs: number | null): string {
  return epochMs === null ? '-' : new Date(epochMs).toISOString();
}

run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`mailroute: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`mailroute: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
