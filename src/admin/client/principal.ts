import type { MeResponse } from '../../schemas/org-sender.ts';
import type { RouteGroup, Scope } from '../../schemas/scopes.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { apiRequest } from './api.ts';

/** Who the token speaks for: its org and the scopes it carries (null: an unrestricted API token). */
let principal: MeResponse | undefined;

export async function loadPrincipal(): Promise<MeResponse | undefined> {
  try {
    principal = (await apiRequest('GET', '/api/v1/mailroute/me')) as MeResponse;
  } catch {
    // An older service without /me: show no org and leave every button to the API to refuse.
    principal = undefined;
  }
  return principal;
}

export function forgetPrincipal(): void {
  principal = undefined;
}

/** Whether the token may call a route group; unknown principals may try (the API still decides). */
export function may(group: RouteGroup): boolean {
  const scopes = principal?.scopes;
  if (!scopes) return true;
  return (ROUTE_SCOPES[group] as readonly Scope[]).some((scope) => scopes.includes(scope));
}
