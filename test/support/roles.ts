/**
 * Test roles log in with a password: the shared server trusts loopback, but the embedded one a
 * newcomer's run falls back to asks for one.
 */
export const ROLE_PASSWORD = 'firebreak-test-role';

/** `url` logged in as `user` (a role created `WITH LOGIN PASSWORD ROLE_PASSWORD`). */
export function asRole(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = ROLE_PASSWORD;
  return u.toString();
}
