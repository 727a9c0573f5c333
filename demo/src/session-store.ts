import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';

export interface SessionStoreOptions {
  /** The SQLite file. Every instance of a cluster on one machine shares it, so a sign-in works on each. */
  path: string;
  /** How long a session lasts from sign-in, in ms. Default 8 hours. */
  lifetimeMs?: number;
  /** Sessions kept at most; signing in beyond it ends the oldest. Default 1 000. */
  maxSessions?: number;
  /** The clock, in ms since the epoch. Tests pass their own. */
  now?: () => number;
}

/** A fresh session: the value for the cookie, and when it ends (ms since the epoch). */
export interface NewSession {
  token: string;
  expiresAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * One row per sign-in, so each session can end on its own: at sign-out, or when its
 * lifetime is over. The cookie carries 256 random bits; the table keeps only their
 * SHA-256, so a copy of the file signs nobody in.
 */
export class SessionStore {
  readonly lifetimeMs: number;
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #create: (id: string, userId: string, now: number, expiresAt: number) => void;
  readonly #find: Database.Statement<[string, number], { user_id: string }>;
  readonly #revoke: Database.Statement<[string]>;

  constructor(options: SessionStoreOptions) {
    this.lifetimeMs = options.lifetimeMs ?? 8 * 60 * 60 * 1000;
    const maxSessions = options.maxSessions ?? 1000;
    this.#now = options.now ?? Date.now;
    const db = (this.#db = new Database(options.path));
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE IF NOT EXISTS demo_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)');
    const purge = db.prepare<[number]>('DELETE FROM demo_sessions WHERE expires_at <= ?');
    const insert = db.prepare<[string, string, number, number]>('INSERT INTO demo_sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)');
    const trim = db.prepare<[number]>('DELETE FROM demo_sessions WHERE id IN (SELECT id FROM demo_sessions ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)');
    this.#create = db.transaction((id: string, userId: string, now: number, expiresAt: number) => {
      purge.run(now);
      insert.run(id, userId, now, expiresAt);
      trim.run(maxSessions);
    });
    this.#find = db.prepare('SELECT user_id FROM demo_sessions WHERE id = ? AND expires_at > ?');
    this.#revoke = db.prepare('DELETE FROM demo_sessions WHERE id = ?');
  }

  /** Starts a session for this user. */
  create(userId: string): NewSession {
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAt = now + this.lifetimeMs;
    this.#create(digest(token), userId, now, expiresAt);
    return { token, expiresAt };
  }

  /** The user of a live session, or null when the token is unknown, ended or expired. */
  find(token: string): string | null {
    if (!TOKEN.test(token)) return null;
    return this.#find.get(digest(token), this.#now())?.user_id ?? null;
  }

  /** Ends a session; the token signs nobody in from now on. Unknown tokens are ignored. */
  revoke(token: string): void {
    if (TOKEN.test(token)) this.#revoke.run(digest(token));
  }

  close(): void {
    this.#db.close();
  }
}
