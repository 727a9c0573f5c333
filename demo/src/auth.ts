import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Principal } from '@job-status/hono';
import type { SessionStore } from './session-store.js';

/** The two demo users. The viewer is signed in but is not an admin. */
export const USERS = {
  admin: { id: 'admin', name: 'admin', admin: true },
  viewer: { id: 'viewer', name: 'viewer', admin: false },
} as const;
export type DemoUser = (typeof USERS)[keyof typeof USERS];

const COOKIE = 'demo_session';

/**
 * Sign-in for the demo's pages and its job API. Each sign-in gets a session of its own
 * (a random token in an HttpOnly cookie), which sign-out ends on the server and which
 * ends by itself after `store.lifetimeMs`.
 */
export function sessions(store: SessionStore) {
  return {
    /** The signed-in user, or null. */
    async user(c: Context): Promise<DemoUser | null> {
      const token = getCookie(c, COOKIE);
      const id = token ? store.find(token) : null;
      return id === 'admin' || id === 'viewer' ? USERS[id] : null;
    },
    /** Starts a new session; the one the browser had, if any, ends (no session fixation). */
    async signIn(c: Context, id: 'admin' | 'viewer') {
      const previous = getCookie(c, COOKIE);
      if (previous) store.revoke(previous);
      const session = store.create(id);
      setCookie(c, COOKIE, session.token, { httpOnly: true, sameSite: 'Lax', path: '/', expires: new Date(session.expiresAt) });
    },
    /** Ends the session on the server, so a copy of the cookie signs nobody in either. */
    signOut(c: Context) {
      const token = getCookie(c, COOKIE);
      if (token) store.revoke(token);
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
