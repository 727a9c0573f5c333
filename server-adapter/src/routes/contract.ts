import type { DescribeRouteOptions, resolver } from 'hono-openapi';
import { JOB_STATES, LIST_SORTS } from '@job-status/protocol';
import type * as Schemas from './schemas.js';

/**
 * What each route answers, for the OpenAPI document: one `describeRoute` per route,
 * carried by its handler in `routes.ts` (see `documented`), with the schemas of the
 * contract (`schemas.ts`). Each entry is built when the document is first asked for
 * (`openapi.ts` hands it `hono-openapi`'s resolver and the schemas, and `hono-openapi`
 * reads it off the route table), so an app that never asks loads neither `hono-openapi`
 * nor zod.
 */

/** What an entry is built with, loaded with the document. */
export interface DocsKit {
  /** `{'application/json': {schema}}` for a schema of `schemas.ts`. */
  json: (schema: Schemas.ContractSchema) => { 'application/json': { schema: ReturnType<typeof resolver> } };
  schemas: typeof Schemas;
}

/** Where a route's handler keeps the function that builds its OpenAPI entry. */
export const ROUTE_DOCS = Symbol('job-status route docs');
export type RouteDocs = (kit: DocsKit) => DescribeRouteOptions;

const ERROR_WHEN: Record<number, string> = {
  304: 'Not modified: the `ETag` in `If-None-Match` is still current.',
  400: 'Bad input; the message names the field.',
  401: '`authorize` found no identity.',
  403: 'The caller may not use jobs, or a browser on another site tried to change something.',
  404: 'No such job, or the caller may not see it (the same answer).',
  409: 'The job already finished.',
  413: 'The body is larger than `limits.maxBodyBytes`.',
  415: 'The body is not JSON.',
  429: 'Too many: streams for this caller (`limits.maxStreamsPerCaller`), or jobs queued; `Retry-After` says when to try again.',
  503: 'The service cannot take this now (the store cannot write, or it is shutting down); `Retry-After` says when to try again.',
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'string' as const } } };

/** The `{error: {code, message}}` answers of `statuses`. */
function errors({ json, schemas }: DocsKit, ...statuses: number[]): Record<string, object> {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: ERROR_WHEN[status]!,
        ...(status === 304 ? {} : { content: json(schemas.ErrorBodySchema) }),
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      },
    ]),
  );
}

const POLL_HEADERS = {
  'Cache-Control': { description: '`private, no-cache`.', schema: { type: 'string' as const } },
  'Job-Status-Min-Interval': { description: 'The shortest polling interval clients should use, in seconds.', schema: { type: 'string' as const } },
  'Job-Status-Max-Ids': { description: 'How many ids one request may name (`limits.maxIds`): clients split their `?ids=` polls into requests of at most this many.', schema: { type: 'string' as const } },
};
const ETAG = { ETag: { description: 'Changes whenever the answer does; send it back as `If-None-Match`.', schema: { type: 'string' as const } } };
const IF_NONE_MATCH = { name: 'If-None-Match', in: 'header' as const, required: false, schema: { type: 'string' as const }, description: 'The `ETag` of the answer the client has: 304 when it is still current.' };
const JOB_ID_PARAM = { name: 'id', in: 'path' as const, required: true, schema: { type: 'string' as const, format: 'uuid' } };
const list = (name: string, description: string, items: object = { type: 'string' }) => ({
  name,
  in: 'query' as const,
  required: false,
  description: `${description} Repeat the parameter, or separate values with commas.`,
  schema: { type: 'array' as const, items },
  style: 'form' as const,
  explode: true,
});
const integer = (name: string, description: string, minimum: number) => ({ name, in: 'query' as const, required: false, description, schema: { type: 'integer' as const, minimum } });

const TAGS = ['jobs'];

/** The event stream, described beside the route: OpenAPI has no words for SSE events. */
export const SSE_EVENTS = {
  'job-update': { id: '`<epoch>-<seq>` (durable: the client resumes after it)', data: { $ref: '#/components/schemas/JobSnapshot' }, description: 'A job changed. A fresh stream starts with the current snapshot of every `job=` (without `id:`).' },
  'job-log': { id: '`<epoch>-<seq>`', data: { type: 'object' }, description: 'A log line of a watched job, when the stream asked for logs.' },
  resync: { id: null, data: { type: 'object' }, description: 'The resume point cannot be replayed (pruned log, other epoch): current snapshots follow.' },
  ready: { id: '`<epoch>-<seq>`: the position in the log', data: { type: 'object' }, description: 'The replay or the initial snapshots are sent; live events follow.' },
  heartbeat: { id: null, data: { type: 'object', properties: { interval_ms: { type: 'integer' } } }, description: 'Sent every `heartbeatMs` (default 15 s), without `id:`, so it never moves the resume point.' },
} as const;

/** A route's docs: what carries the function that builds its OpenAPI entry. */
export interface RouteDocsMark {
  [ROUTE_DOCS]: RouteDocs;
}

const describeRoute = (spec: RouteDocs): RouteDocsMark => ({ [ROUTE_DOCS]: spec });

/**
 * `handler`, carrying `docs` (`openapi.ts` finds them on a route's handler): the entry
 * costs nothing on requests, where a docs middleware in front of a handler would be one
 * more handler for Hono to compose on every request.
 */
export function documented<H extends (...args: never[]) => unknown>(docs: RouteDocsMark | null, handler: H): H {
  return docs ? Object.assign(handler, docs) : handler;
}

export const routeDocs = {
  create: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'createJob',
    summary: 'Start a job',
    description: 'Creates a job and answers at once with its queued snapshot; the work runs after the answer.',
    parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' }, description: 'With the same key, a repeated request from the same caller gets the first job instead of a second one.' }],
    requestBody: { required: true, content: kit.json(kit.schemas.CreateJobBodySchema) },
    responses: { '202': { description: 'The job, queued.', content: kit.json(kit.schemas.EnqueueResponseSchema) }, ...errors(kit, 400, 401, 403, 413, 415, 429, 503) },
  })),
  list: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'listJobs',
    summary: 'History, or the named jobs (what polling uses)',
    description: 'With `ids`, the named jobs (an `ETag` over their versions; 304 on `If-None-Match`); otherwise a page of history, newest first by default.',
    parameters: [
      list('ids', 'Job ids to read (polling); at most `limits.maxIds`.', { type: 'string', format: 'uuid' }),
      list('state', 'Only jobs in these states.', { type: 'string', enum: [...JOB_STATES] }),
      list('kind', 'Only jobs of these kinds.'),
      list('target', 'Only jobs for these targets.'),
      integer('limit', 'Page size, 1 to `limits.maxPageSize` (100). Default 20.', 1),
      { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next_cursor` of the previous page.' },
      { name: 'sort', in: 'query', required: false, schema: { type: 'string', enum: [...LIST_SORTS] }, description: 'Default `created_desc`.' },
      IF_NONE_MATCH,
    ],
    responses: { '200': { description: 'The jobs the caller may see.', headers: { ...POLL_HEADERS, ...ETAG }, content: kit.json(kit.schemas.JobListResponseSchema) }, ...errors(kit, 304, 400, 401, 403) },
  })),
  kinds: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'listKinds',
    summary: 'The defined kinds of job, with the JSON Schema of their input',
    responses: { '200': { description: 'Every kind, in definition order.', content: kit.json(kit.schemas.JobKindsResponseSchema) }, ...errors(kit, 401, 403) },
  })),
  events: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'streamEvents',
    summary: 'The event stream (SSE)',
    description:
      'Without filters, every job the caller may see. Resumes after `Last-Event-ID` (header, or `last_event_id` for clients that cannot set it); the events are listed under `x-events`.',
    parameters: [
      list('job', 'Jobs to watch.', { type: 'string', format: 'uuid' }),
      list('kind', 'Kinds to watch (new jobs included).'),
      list('target', 'Targets to watch (new jobs included).'),
      { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', maxLength: 100 }, description: 'The id of the last event received: the stream replays what came after.' },
      { name: 'last_event_id', in: 'query', required: false, schema: { type: 'string', maxLength: 100 }, description: 'The same as `Last-Event-ID`, for clients that cannot set headers.' },
    ],
    responses: {
      '200': {
        description: 'A `text/event-stream`; never compressed.',
        headers: {
          'Cache-Control': { description: '`no-cache, no-transform`.', schema: { type: 'string' } },
          'X-Accel-Buffering': { description: '`no`: proxies must not buffer.', schema: { type: 'string' } },
          'Job-Status-Heartbeat': { description: 'The heartbeat interval in milliseconds.', schema: { type: 'string' } },
        },
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      },
      ...errors(kit, 400, 401, 403, 429),
    },
    'x-events': SSE_EVENTS,
  } as DescribeRouteOptions)),
  get: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'getJob',
    summary: 'One job',
    parameters: [JOB_ID_PARAM, IF_NONE_MATCH],
    responses: { '200': { description: 'The newest snapshot.', headers: { ...POLL_HEADERS, ...ETAG }, content: kit.json(kit.schemas.JobSnapshotSchema) }, ...errors(kit, 304, 400, 401, 403, 404) },
  })),
  logs: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'getJobLogs',
    summary: "A page of a job's log",
    parameters: [JOB_ID_PARAM, integer('after', 'Lines after this `seq`. Default 0.', 0), integer('limit', 'Lines, 1 to `limits.maxLogPageSize` (1000). Default 200.', 1)],
    responses: { '200': { description: 'The lines, oldest first.', content: kit.json(kit.schemas.JobLogsResponseSchema) }, ...errors(kit, 400, 401, 403, 404) },
  })),
  cancel: describeRoute((kit) => ({
    tags: TAGS,
    operationId: 'cancelJob',
    summary: 'Cancel a busy job',
    parameters: [JOB_ID_PARAM],
    responses: { '202': { description: 'The job, canceled (or asked to stop, when another instance runs it).', content: kit.json(kit.schemas.JobSnapshotSchema) }, ...errors(kit, 400, 401, 403, 404, 409, 503) },
  })),
  health: describeRoute((kit) => ({
    tags: ['operations'],
    operationId: 'health',
    summary: 'Readiness (when `health: true`; no `authorize`)',
    responses: {
      '200': { description: 'Ready: the store takes writes and the bus is connected.', content: kit.json(kit.schemas.HealthSchema) },
      '503': { description: 'Not ready; the body says what is wrong.', content: kit.json(kit.schemas.HealthSchema) },
    },
  })),
};
