/**
 * Every scope mailroute understands, and the route groups each one opens. Routes name a group; the
 * scopes a group accepts (any one is enough) follow from this table, in its order, and the first
 * is the one an `insufficient_scope` challenge names. No typebox here: the admin page bundles it.
 */

/** The route groups that require a scope. */
export const ROUTE_GROUPS = [
  'emailServers.read',
  'emailServers.manage',
  'auditEvents.read',
  'notifications.read',
  'notifications.send',
  'org.read',
  'org.manage',
  'metrics.read',
  'eventHooks.read',
  'eventHooks.manage',
] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

interface ScopeEntry {
  description: string;
  opens: readonly RouteGroup[];
  /** Requested by the admin page's sign-in unless MAILROUTE_ADMIN_OAUTH_SCOPES says otherwise. */
  adminPage: boolean;
}

export const SCOPE_CATALOGUE = {
  'okta.emailServers.read': {
    description: 'Read email servers (Okta)',
    opens: ['emailServers.read', 'org.read'],
    adminPage: true,
  },
  'okta.emailServers.manage': {
    description:
      "Read, create, change, test and delete email servers, set the org's sender and health alert addresses, and read the audit trail (Okta)",
    opens: ['emailServers.read', 'emailServers.manage', 'auditEvents.read', 'org.read', 'org.manage'],
    adminPage: true,
  },
  'okta.logs.read': {
    description: "Read the org's System Log, audit and delivery events (Okta)",
    opens: ['auditEvents.read', 'org.read'],
    adminPage: false,
  },
  'okta.eventHooks.read': {
    description: 'Read event hooks and their deliveries (Okta)',
    opens: ['eventHooks.read', 'org.read'],
    adminPage: false,
  },
  'okta.eventHooks.manage': {
    description: 'Create, change, verify, activate, deactivate and delete event hooks, and read them (Okta)',
    opens: ['eventHooks.read', 'eventHooks.manage', 'org.read'],
    adminPage: false,
  },
  'mailroute.notifications.read': {
    description: 'Read notifications, delivery events and hourly counts',
    opens: ['notifications.read', 'org.read'],
    adminPage: true,
  },
  'mailroute.notifications.send': {
    description: 'Submit and resend notifications, and read them',
    opens: ['notifications.read', 'notifications.send', 'org.read'],
    adminPage: true,
  },
  'mailroute.metrics.read': {
    description: 'Scrape /metrics: outbox totals across all orgs, with no org or server ids',
    opens: ['metrics.read'],
    adminPage: false,
  },
} as const satisfies Record<string, ScopeEntry>;

export type Scope = keyof typeof SCOPE_CATALOGUE;
export const SCOPES = Object.keys(SCOPE_CATALOGUE) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPE_CATALOGUE, value);
}

/** The scopes that open each route group, any one of them enough. */
export const ROUTE_SCOPES = Object.fromEntries<readonly Scope[]>(
  ROUTE_GROUPS.map((group) => [
    group,
    SCOPES.filter((scope) => (SCOPE_CATALOGUE[scope].opens as readonly RouteGroup[]).includes(group)),
  ]),
) as Record<RouteGroup, readonly Scope[]>;

/** The scopes the admin page asks for by default. */
export const ADMIN_PAGE_SCOPES = SCOPES.filter((scope) => SCOPE_CATALOGUE[scope].adminPage);

/** "Needs a or b." for a route's OpenAPI description. */
export function scopeNote(group: RouteGroup): string {
  return `Needs ${ROUTE_SCOPES[group].join(' or ')}.`;
}
