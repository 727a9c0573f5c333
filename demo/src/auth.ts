import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { Principal } from '@job-status/hono';

/** The two demo users. The viewer is signed in but is not an admin. */
export const USERS = {
  admin: { id: 'admin', name: 'admin', admin: true },
  viewer: { id: 'viewer', name: 'viewer', admin: false },
} as const;
export type DemoUser = (typeof USERS)[keyof typeof USERS];

const COOKIE = 'demo_session';

/** The cookie-signing secret, kept in the data folder so sessions survive a restart. */
export function loadSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = crypto.randomUUID() + crypto.randomUUID();
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function sessions(secret: string) {
  return {
    /** The signed-in user, or null. */
    async user(c: Context): Promise<DemoUser | null> {
      const id = await getSignedCookie(c, secret, COOKIE);
      return id === 'admin' || id === 'viewer' ? USERS[id] : null;
    },
    async signIn(c: Context, id: 'admin' | 'viewer') {
      await setSignedCookie(c, COOKIE, id, secret, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 8 * 60 * 60 });
    },
    signOut(c: Context) {
      deleteCookie(c, COOKIE, { path: '/' });
    },
    /** The job API's authorize hook: admins only; a viewer is known (403), nobody is 401. */
    async authorize(c: Context): Promise<Principal | null | false> {
      const user = await this.user(c);
      if (!user) return null;
      return user.admin ? { id: user.id, name: user.name } : false;
    },
  };
}
