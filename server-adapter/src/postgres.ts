/**
 * `@job-status/hono/postgres`: the store for several instances, and a bus for apps that
 * run PostgreSQL but no Redis. Needs the `pg` package; the SQLite user installs none of it.
 */
export { postgresStore } from './stores/postgres-store.js';
export type { PostgresStoreOptions } from './stores/postgres-store.js';
export { postgresBus } from './buses/postgres-bus.js';
export type { PostgresBus, PostgresBusOptions } from './buses/postgres-bus.js';
