/** The API token lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage. */
const KEY = 'mailroute.admin.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** A JWT (three base64url parts) is an OAuth access token; anything else is an Okta API token. */
export function authorizationFor(token: string): string {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token) ? `Bearer ${token}` : `SSWS ${token}`;
}
