import { DEFAULT_AUTH_TYPE, isOAuthAuthType } from '../schemas/auth-types.ts';
import type { EmailServerPost, EmailServerRequest } from '../schemas/email-server.ts';
import type { SendingLimits } from '../schemas/sending-limit-presets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { DESTINATION_FIELDS, sealServerSecret } from '../secrets/server-secrets.ts';
import { tlsSettingsProblems } from '../smtp/tls-mode.ts';
import {
  type EmailServerChanges,
  type EmailServerRecord,
  type EmailServerStore,
  StoreConflictError,
} from '../store/store.ts';
import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import { oauthChangesForUpdate, oauthFieldsForCreate } from './email-server-oauth.ts';
import { DomainError, invalidInput, notFound } from './errors.ts';
import type { IdGenerator } from './ids.ts';

export interface EmailServerServiceDeps {
  emailServers: EmailServerStore;
  secretBox: SecretBox;
  ids: Pick<IdGenerator, 'emailServer'>;
  now: () => number;
  maxServersPerOrg: number;
  audit: Pick<AuditService, 'record'>;
}

export type EmailServerService = ReturnType<typeof createEmailServerService>;

/** Use cases for an org's SMTP servers and the invariants they keep. */
export function createEmailServerService(deps: EmailServerServiceDeps) {
  const { emailServers, secretBox, ids, now, maxServersPerOrg, audit } = deps;
  const target = (id: string) => ({ id, type: 'EmailServer' as const });

  async function getOrThrow(orgId: string, id: string): Promise<EmailServerRecord> {
    const server = await emailServers.get(orgId, id);
    if (!server) throw notFound(id, 'EmailServer');
    return server;
  }

  function conflict(error: unknown): never {
    if (error instanceof StoreConflictError && error.constraint === 'one_enabled_server') {
      throw new DomainError('one_enabled_server', 'another server is already enabled');
    }
    if (error instanceof StoreConflictError && error.constraint === 'enrolment_limit') {
      throw new DomainError('enrolment_limit', 'enrolment limit reached', { detail: String(maxServersPerOrg) });
    }
    throw error;
  }

  return {
    list: (orgId: string) => emailServers.list(orgId),

    get: getOrThrow,

    async create(
      orgId: string,
      input: EmailServerPost,
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<EmailServerRecord> {
      const at = now();
      // OAuth 2.0 servers have a client secret or private key instead of a password.
      const oauth = isOAuthAuthType(input.authType);
      // (For them tlsMode none is refused with its own message, by oauthFieldsForCreate.)
      const tlsProblems = tlsSettingsProblems({
        tlsMode: oauth ? null : (input.tlsMode ?? null),
        hasPassword: oauth || input.password !== '',
        caCertificate: input.caCertificate,
      });
      if (tlsProblems.length > 0) throw invalidInput(tlsProblems);
      const base = {
        id: ids.emailServer(),
        orgId,
        alias: input.alias,
        host: input.host,
        port: input.port,
        username: input.username,
      };
      const record: EmailServerRecord = {
        ...base,
        authType: input.authType ?? DEFAULT_AUTH_TYPE,
        // "" (allowed only with tlsMode none) means no password at all.
        passwordSealed: oauth || !input.password ? null : sealServerSecret(secretBox, base, 'password', input.password),
        enabled: input.enabled ?? false,
        tlsMode: input.tlsMode ?? null,
        caCertificate: input.caCertificate || null,
        createdAt: at,
        updatedAt: at,
        ...oauthFieldsForCreate(input, base, secretBox),
        sendingLimits: limitsOrNull(input.sendingLimits),
      };
      // A clear answer in the common case; the database constraint settles races.
      if (record.enabled && (await emailServers.getEnabled(orgId)))
        conflict(new StoreConflictError('one_enabled_server'));
      await emailServers.create(record, maxServersPerOrg).catch(conflict);
      await audit.record(orgId, context, {
        eventType: 'email_server.create',
        target: target(record.id),
        server: record,
      });
      if (record.enabled)
        await audit.record(orgId, context, {
          eventType: 'email_server.enable',
          target: target(record.id),
          server: record,
        });
      return record;
    },

    async update(
      orgId: string,
      id: string,
      input: EmailServerRequest,
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<EmailServerRecord> {
      const current = await getOrThrow(orgId, id);
      // The OAuth 2.0 rules live beside this; the password rules below are for password servers.
      const oauth = oauthChangesForUpdate(current, input, secretBox);
      const signsInWithOAuth = oauth?.oauth === true;
      const next = { ...current, ...definedFields(input) };
      const destinationChanged = DESTINATION_FIELDS.some((field) => next[field] !== current[field]);
      if (!signsInWithOAuth && destinationChanged && input.password === undefined) {
        throw invalidInput([
          {
            field: 'password',
            message:
              'The password is required when host, port or username changes, so a stored password is never sent to a new server',
          },
        ]);
      }
      const newCa =
        input.caCertificate !== undefined &&
        input.caCertificate !== '' &&
        input.caCertificate !== current.caCertificate;
      if (!signsInWithOAuth && newCa && current.passwordSealed !== null && input.password === undefined) {
        throw invalidInput([
          {
            field: 'password',
            message:
              'The password is required when caCertificate changes, so a stored password is never sent to a server a new CA vouches for',
          },
        ]);
      }
      const tlsProblems = tlsSettingsProblems({
        tlsMode: input.tlsMode ?? current.tlsMode,
        hasPassword:
          signsInWithOAuth || (input.password === undefined ? current.passwordSealed !== null : input.password !== ''),
        caCertificate: input.caCertificate,
      });
      if (tlsProblems.length > 0) throw invalidInput(tlsProblems);
      const changes: EmailServerChanges = {
        alias: input.alias,
        host: input.host,
        port: input.port,
        username: input.username,
        enabled: input.enabled,
        authType: input.authType,
        tlsMode: input.tlsMode,
        caCertificate: input.caCertificate === undefined ? undefined : input.caCertificate || null,
        updatedAt: now(),
        ...oauth?.changes,
        sendingLimits: input.sendingLimits === undefined ? undefined : limitsOrNull(input.sendingLimits),
      };
      if (!signsInWithOAuth && input.password !== undefined)
        changes.passwordSealed =
          input.password === '' ? null : sealServerSecret(secretBox, next, 'password', input.password);
      if (input.enabled && !current.enabled) {
        const enabled = await emailServers.getEnabled(orgId);
        if (enabled && enabled.id !== id) conflict(new StoreConflictError('one_enabled_server'));
      }
      const updated = await emailServers.update(orgId, id, changes).catch(conflict);
      if (!updated) throw notFound(id, 'EmailServer');
      // Names only: values (the password above all) never reach the audit trail. A sent password always counts as changed.
      const changedFields = Object.entries(definedFields(input))
        .filter(([field, value]) => field === 'password' || current[field as keyof EmailServerRecord] !== value)
        .map(([field]) => field);
      await audit.record(orgId, context, {
        eventType: 'email_server.update',
        target: target(id),
        server: updated,
        changedFields,
      });
      if (updated.enabled !== current.enabled) {
        await audit.record(orgId, context, {
          eventType: updated.enabled ? 'email_server.enable' : 'email_server.disable',
          target: target(id),
          server: updated,
        });
      }
      return updated;
    },

    async remove(orgId: string, id: string, context: ChangeContext = SYSTEM_CONTEXT): Promise<void> {
      const current = await emailServers.get(orgId, id);
      if (!current || !(await emailServers.delete(orgId, id))) throw notFound(id, 'EmailServer');
      await audit.record(orgId, context, { eventType: 'email_server.delete', target: target(id), server: current });
    },
  };
}

/** No limit given is the same as none set: the host's preset applies. */
function limitsOrNull(limits: SendingLimits | null | undefined): SendingLimits | null {
  return limits && Object.keys(limits).length > 0 ? { ...limits } : null;
}

function definedFields<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
