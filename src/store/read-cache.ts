import type { ApiTokenStore, EmailServerRecord, EmailServerStore, OrgSender, OrgStore, Store } from './store.ts';

/**
 * Says whether a read cache may still be trusted. `version()` moves whenever the cached tables may
 * have been written by another connection (another instance, the CLI); it is undefined while such
 * writes cannot be observed (a lost notification channel), and the cache is then bypassed.
 */
export interface ChangeWatch {
  version(): number | undefined;
  /** A request arrived: the next `version()` must take in everything committed before now. */
  requestArrived?(): void;
  close(): Promise<void>;
}

/** Entries per cache; beyond it the oldest go first. Tokens in use and servers read are few. */
const CACHE_LIMIT = 10_000;

/**
 * The reads every API request makes (the token by hash, the server by id, an org's list, its
 * enabled server and sender) served from memory while nobody has written: caches are dropped
 * whenever `watch` or a write through this store says something changed, never on a timer.
 * Unknown tokens and missing servers are not kept, so guessing cannot fill memory.
 */
export function withReadCache(store: Store, watch: ChangeWatch): Store {
  const tokens = new Map<string, NonNullable<Awaited<ReturnType<ApiTokenStore['findByHash']>>>>();
  const servers = new Map<string, EmailServerRecord>();
  const lists = new Map<string, readonly EmailServerRecord[]>();
  // Per org, where "none" (null) is kept too: the key is an org the caller is signed in to, not a guess.
  const enabled = new Map<string, EmailServerRecord | null>();
  const senders = new Map<string, OrgSender | null>();
  const caches: Map<string, unknown>[] = [tokens, servers, lists, enabled, senders];
  let ownWrites = 0;
  let seenVersion: number | undefined;
  let seenOwnWrites = 0;

  /** False while changes cannot be observed; drops every cache when something changed. */
  function trusted(): boolean {
    const version = watch.version();
    if (version === undefined) return false;
    if (version !== seenVersion || ownWrites !== seenOwnWrites) {
      for (const cache of caches) cache.clear();
      seenVersion = version;
      seenOwnWrites = ownWrites;
    }
    return true;
  }

  async function read<V>(cache: Map<string, V>, key: string, load: () => Promise<V | undefined>) {
    if (!trusted()) return load();
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const [version, writes] = [seenVersion, ownWrites];
    const value = await load();
    // Kept only when nothing changed while it was read, so no older value outlives a write.
    if (value !== undefined && trusted() && seenVersion === version && ownWrites === writes) {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
      cache.set(key, value);
    }
    return value;
  }

  async function write<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      ownWrites++;
    }
  }

  const apiTokens: ApiTokenStore = {
    ...store.apiTokens,
    findByHash: (hash) => read(tokens, hash, () => store.apiTokens.findByHash(hash)),
    create: (token, hash) => write(() => store.apiTokens.create(token, hash)),
    revoke: (id, at) => write(() => store.apiTokens.revoke(id, at)),
    // The last-used time changes nothing a request decides, so it updates the cached token rather than dropping it.
    async touch(id, at) {
      await store.apiTokens.touch(id, at);
      for (const { token } of tokens.values()) if (token.id === id) token.lastUsedAt = at;
    },
  };
  const emailServers: EmailServerStore = {
    ...store.emailServers,
    get: (orgId, id) => read(servers, `${orgId}/${id}`, async () => frozen(await store.emailServers.get(orgId, id))),
    // A list is copied out: callers may sort or extend it.
    list: async (orgId) => [
      ...((await read(lists, orgId, async () => (await store.emailServers.list(orgId)).map(frozen))) ?? []),
    ],
    getEnabled: async (orgId) =>
      (await read(enabled, orgId, async () => frozen(await store.emailServers.getEnabled(orgId)) ?? null)) ?? undefined,
    create: (record, maxPerOrg) => write(() => store.emailServers.create(record, maxPerOrg)),
    update: (orgId, id, changes) => write(() => store.emailServers.update(orgId, id, changes)),
    delete: (orgId, id) => write(() => store.emailServers.delete(orgId, id)),
    replaceSecret: (orgId, id, column, expected, next) =>
      write(() => store.emailServers.replaceSecret(orgId, id, column, expected, next)),
  };
  const orgs: OrgStore = {
    ...store.orgs,
    getSender: async (orgId) =>
      (await read(senders, orgId, async () => frozen(await store.orgs.getSender(orgId)) ?? null)) ?? undefined,
    create: (org) => write(() => store.orgs.create(org)),
    createFirst: (org) => write(() => store.orgs.createFirst(org)),
    setSender: (orgId, sender) => write(() => store.orgs.setSender(orgId, sender)),
  };
  return {
    ...store,
    orgs,
    apiTokens,
    emailServers,
    requestArrived: () => watch.requestArrived?.(),
    async close() {
      await watch.close();
      await store.close();
    },
  };
}

/** A cached record is shared by every caller, so none may change it. */
function frozen<T extends EmailServerRecord | OrgSender | undefined>(record: T): T {
  if (record && 'sendingLimits' in record && record.sendingLimits) Object.freeze(record.sendingLimits);
  if (record && 'scopes' in record && record.scopes) Object.freeze(record.scopes);
  return record && Object.freeze(record);
}
