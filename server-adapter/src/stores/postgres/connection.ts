import type pg from 'pg';

/**
 * Checks that a Postgres piece (`postgresStore`, `postgresBus`) was given exactly one way
 * to reach the database: a `connectionString` or a `pool` the app already has.
 */
export function checkConnection(options: { connectionString?: string; pool?: pg.Pool } | undefined, who: string): void {
  if (!options || (typeof options.connectionString !== 'string' || !options.connectionString) === !options.pool) {
    throw new TypeError(`job-status: ${who} needs either a \`connectionString\` or a \`pool\` (not both)`);
  }
}

/**
 * A name used unquoted-safe in SQL (a schema, a LISTEN channel): 1 to 63 letters, digits
 * or `_`, not starting with a digit, so it never needs escaping.
 */
export function postgresName(value: unknown, who: string, option: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
    throw new TypeError(`job-status: ${who} \`${option}\` must be 1 to 63 letters, digits or "_", not starting with a digit (got ${JSON.stringify(value)})`);
  }
  return value;
}
