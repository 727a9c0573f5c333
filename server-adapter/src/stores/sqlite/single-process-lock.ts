import Database from 'better-sqlite3';

/**
 * Takes the file's lock: an exclusive SQLite lock on `<path>-lock`, held until it is
 * closed (or until the process dies: the system frees it). A lock file beside the
 * database, not the database itself, so read-only tools may still read it while it runs.
 * Throws when another process holds it.
 */
export function takeSingleProcessLock(path: string): Database.Database {
  const lock = new Database(`${path}-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma('journal_mode = MEMORY');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    lock.transaction(() => {
      lock.exec('DELETE FROM holder');
      lock.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    })();
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new Error(
      `job-status: another process has the SQLite file ${path} open, and one process per SQLite file is allowed; ` +
        'this one waits until it is free (its routes answer 503 meanwhile). To run several instances, use postgresStore().',
    );
  }
}
