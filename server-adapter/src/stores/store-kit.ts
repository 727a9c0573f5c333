// `@job-status/hono/store`: what a third-party store is built from, in one import. The
// contract (`JobStore` and its types), the refusals `save` must throw, the event log's
// public snapshot, and the history cursor every store shares (the routes check a cursor
// before the store sees it, so a store must make its cursors with these helpers).
// `memory-store.ts` is a complete store written against exactly these; see
// docs/server.md, "Writing your own store".
export { alreadyFinished, notOwner, publicSnapshot, refusal } from './store.js';
export type {
  JobStore,
  ListPage,
  ListQuery,
  PruneOptions,
  SaveOptions,
  StoredEvent,
  StoredJob,
  UnnumberedJob,
} from './store.js';
export { SORT_COLUMNS, decodeCursor, encodeCursor, pageOf } from './cursor.js';
export type { Cursor } from './cursor.js';
export { newEpoch } from './epoch.js';
