import { Hono } from 'hono';
import type { Context, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JobSnapshot } from '@job-status/protocol';
import {
  HEARTBEAT_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  LAST_EVENT_ID_HEADER,
  LAST_EVENT_ID_PARAM,
  LOG_PARAM,
  MAX_IDS_HEADER,
  MIN_POLL_INTERVAL_HEADER,
} from '@job-status/protocol';
import { JobStatusError } from '../errors.js';
import { assertSameOrigin } from './origin.js';
import type { TrustedOrigins } from './origin.js';
import type { AuthorizeHook, JobStatusLimits, JobStatusLogger, Principal } from '../options.js';
import { CallerRateLimit } from '../registry/admission.js';
import type { JobRegistry } from '../registry/registry.js';
import type { StoreHealth } from '../registry/store-health.js';
import type { SseHub } from '../sse/hub.js';
import { streamResponse } from '../sse/stream-response.js';
import { matchesEtag, versionsTag } from './etag.js';
import { errorAnswer } from './error-answer.js';
import { jsonSchemaOf } from './kind-schema.js';
import { routeDocs } from './contract.js';
import type { ListQuery } from '../stores/store.js';
import {
  badRequest,
  cursorParam,
  integerParam,
  jobId,
  listParam,
  logParams,
  name,
  sortParam,
  statesParam,
} from './validate.js';

/** Hono environment of the routes: `c.get('jobStatusPrincipal')` is the authorized caller. */
export interface JobStatusEnv<P extends Principal = Principal> {
  Variables: { jobStatusPrincipal: P };
}

export interface RoutesDeps<P extends Principal> {
  registry: JobRegistry;
  /** Answers 503 with `Retry-After` while the store has not opened. */
  health: StoreHealth;
  hub: SseHub<P>;
  epoch: Promise<string>;
  authorize: AuthorizeHook<P>;
  canSee: ((principal: P, job: JobSnapshot) => boolean) | undefined;
  limits: JobStatusLimits;
  heartbeatMs: number;
  minPollIntervalS: number;
  logger: JobStatusLogger;
  trustedOrigins: TrustedOrigins | undefined;
}

/** A route's place in the matched handlers when only this sub-app's `*` middleware and the route's docs come before it. */
const ROUTE_AFTER_MIDDLEWARE = 2;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** Builds the Hono sub-app that answers the wire contract; mount it with `app.route()`. */
export function createRoutes<P extends Principal>(deps: RoutesDeps<P>) {
  const { registry, hub, limits, canSee } = deps;
  const app = new Hono<JobStatusEnv<P>>();
  // Known once the store opened; each request before that waits for it.
  let epochNow: string | null = null;
  void deps.epoch.then((epoch) => (epochNow = epoch), () => undefined);
  // One per app, not per stream: an open stream holds these and nothing of its request.
  const streams = {
    maxBufferedBytes: limits.maxBufferedBytes,
    logClosed: (reason: string) => deps.logger.error({ reason }, 'job-status: stream closed'),
  };
  /** The headers of every stream (and of `HEAD /events`); read, never changed. */
  const streamHeaders: Readonly<Record<string, string>> = Object.freeze({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    // Declared so compression middleware leaves the stream alone.
    'Content-Encoding': 'identity',
    [HEARTBEAT_HEADER]: String(deps.heartbeatMs),
  });
  let started = false;
  void registry.ready.then(() => (started = true), () => undefined);
  const enqueueRate = new CallerRateLimit({ perMinute: limits.enqueuesPerMinute, burst: limits.enqueueBurst });
  const visible = (principal: P, job: JobSnapshot | null): job is JobSnapshot =>
    job !== null && (!canSee || canSee(principal, job));
  const actorOf = (principal: P) => (typeof principal.name === 'string' && principal.name ? principal.name : principal.id);
  const pollHeaders = (c: Context) => {
    c.header('Cache-Control', 'private, no-cache');
    c.header(MIN_POLL_INTERVAL_HEADER, String(deps.minPollIntervalS));
    c.header(MAX_IDS_HEADER, String(limits.maxIds));
  };
  /** A job the caller may see, or 404 (the same answer as for a job that never existed). */
  const visibleJob = async (c: Context<JobStatusEnv<P>>) => {
    const id = jobId(c.req.param('id') ?? '', 'id');
    const job = await registry.get(id);
    if (!visible(c.get('jobStatusPrincipal'), job)) throw new JobStatusError(404, 'not_found', `id: no job ${id}`);
    return job;
  };

  type Handler = (c: Context<JobStatusEnv<P>>, next: Next) => Response | void | Promise<Response | void>;
  const guard = (handler: Handler) => async (c: Context<JobStatusEnv<P>>, next: Next) => {
    try {
      return await handler(c, next);
    } catch (error) {
      return errorAnswer(error, c, deps.logger);
    }
  };

  app.use('*', guard(async (c, next) => {
    // Awaited only until they have happened: a poll is the hot path.
    if (deps.health.state === 'opening') await deps.health.whenOpened();
    if (!started) await registry.ready;
    // A synchronous hook's answer is taken as it is: one promise fewer on every request.
    const answer = deps.authorize(c);
    const principal = typeof (answer as PromiseLike<unknown> | null)?.then === 'function' ? await answer : (answer as Awaited<typeof answer>);
    if (principal === null || principal === undefined) throw new JobStatusError(401, 'unauthorized', 'Sign in to see jobs.');
    if (principal === false) throw new JobStatusError(403, 'forbidden', 'You are signed in but not allowed to use jobs.');
    if (typeof principal !== 'object' || typeof principal.id !== 'string' || !principal.id) {
      throw new Error('job-status: authorize must return a principal with a string `id`, null or false');
    }
    c.set('jobStatusPrincipal', principal);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') assertSameOrigin(c, deps.trustedOrigins);
    await next();
  }));

  app.post(
    '/',
    routeDocs.create,
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: (c) => {
        // The rest of the body is never read: the connection cannot carry another request.
        c.header('Connection', 'close');
        return c.json({ error: { code: 'payload_too_large', message: `body: at most ${limits.maxBodyBytes} bytes are accepted` } }, 413);
      },
    }),
    guard(async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
        throw new JobStatusError(415, 'unsupported_media_type', 'Content-Type: expected application/json');
      }
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw badRequest('invalid_json', 'body: expected a JSON object such as {"kind": "sync.push"}');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw badRequest('invalid_body', 'body: expected a JSON object such as {"kind": "sync.push"}');
      }
      const fields = body as { kind?: unknown; target?: unknown; input?: unknown };
      const kind = name(fields.kind, 'kind');
      const target = fields.target === undefined || fields.target === null ? null : name(fields.target, 'target');
      const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw badRequest('invalid_idempotency_key', `${IDEMPOTENCY_KEY_HEADER}: expected 1 to 200 visible ASCII characters`);
      }
      const principal = c.get('jobStatusPrincipal');
      enqueueRate.take(principal.id);
      const snapshot = await registry.enqueue(kind, fields.input, {
        target,
        actor: actorOf(principal),
        idempotencyKey: key ?? null,
        scope: principal.id,
      });
      return c.json({ job_id: snapshot.job_id, initial_status: snapshot }, 202);
    }),
  );

  app.get('/', routeDocs.list, guard(async (c) => {
    const principal = c.get('jobStatusPrincipal');
    const idsParam = c.req.queries('ids');
    pollHeaders(c);
    if (idsParam) {
      const ids = listParam(idsParam);
      if (ids.length > limits.maxIds) throw badRequest('too_many_ids', `ids: at most ${limits.maxIds} ids per request`);
      const jobs = (await registry.getMany([...new Set(ids.map((id) => jobId(id, 'ids')))])).filter((job) => visible(principal, job));
      let versions = '';
      for (const job of jobs) versions += `${versions ? ',' : ''}${job.job_id}:${job.seq}`;
      const etag = `W/"${epochNow ?? (await deps.epoch)}-${versionsTag(versions)}"`;
      c.header('ETag', etag);
      if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
      return c.json({ jobs, next_cursor: null });
    }
    const query: ListQuery = {
      states: statesParam(listParam(c.req.queries('state'))),
      kinds: listParam(c.req.queries('kind')).map((kind) => name(kind, 'kind')),
      targets: listParam(c.req.queries('target')).map((target) => name(target, 'target')),
      limit: integerParam(c.req.query('limit'), 'limit', 1, limits.maxPageSize, 20),
      cursor: cursorParam(c.req.query('cursor')),
      sort: sortParam(c.req.query('sort')),
    };
    return c.json(await registry.listVisible(query, (job) => visible(principal, job)));
  }));

  app.get('/kinds', routeDocs.kinds, guard(async (c) =>
    c.json({
      kinds: await Promise.all(registry.kinds().map(async ([kind, definition]) => ({
        kind,
        label: typeof definition.label === 'string' ? definition.label : kind,
        input: await jsonSchemaOf(definition.input),
      }))),
    }),
  ));

  app.get('/events', routeDocs.events, guard(async (c) => {
    const principal = c.get('jobStatusPrincipal');
    // Every parameter in one parse of the query string; a stream names one or two of them.
    const query = c.req.queries();
    const filters = (field: string): string[] => {
      const given = query[field];
      if (given === undefined) return NO_VALUES;
      const values = listParam(given);
      if (values.length > limits.maxIds) throw badRequest(`too_many_${field}s`, `${field}: at most ${limits.maxIds} values per stream`);
      return values;
    };
    // `job_id=` is the seed system's name for `job=`.
    const jobs = [...filters('job'), ...filters('job_id')].map((id) => jobId(id, 'job'));
    const logs = logParams(filters(LOG_PARAM));
    const named = new Set(jobs);
    for (const id of logs.keys()) named.add(id);
    if (named.size > limits.maxIds) throw badRequest('too_many_jobs', `job, log: at most ${limits.maxIds} jobs per stream`);
    const kinds = filters('kind').map((kind) => name(kind, 'kind'));
    const targets = filters('target').map((target) => name(target, 'target'));
    const states = statesParam(filters('state'));
    const lastEventId = c.req.header(LAST_EVENT_ID_HEADER) ?? query[LAST_EVENT_ID_PARAM]?.[0] ?? null;
    if (lastEventId !== null && lastEventId.length > 100) {
      throw badRequest('invalid_last_event_id', 'Last-Event-ID: expected an event id this server sent, such as "a1b2c3-42"');
    }
    // HEAD asks whether a stream would open: the same checks and headers, and no stream.
    if (c.req.method === 'HEAD') return c.body(null, 200, streamHeaders);
    const filter = { jobs: named.size ? named : NONE, kinds: setOf(kinds), targets: setOf(targets), states: setOf(states) };
    const resumeFrom = lastEventId === '' ? null : lastEventId;
    // As for `GET /:id`: when only the `*` middleware and the route's docs ran before this
    // route, nothing can have set a header, and the stream goes out with its own alone.
    const appHeaders = c.req.routeIndex !== ROUTE_AFTER_MIDDLEWARE;
    return streamResponse(
      c,
      streamHeaders,
      (sink, signal) => hub.open({ principal, callerId: principal.id, filter, logs, lastEventId: resumeFrom, sink, signal }),
      streams,
      appHeaders,
    );
  }));

  const minPollInterval = String(deps.minPollIntervalS);
  const maxIds = String(limits.maxIds);
  app.get('/:id', routeDocs.get, guard(async (c) => {
    const job = await visibleJob(c);
    const etag = `"${epochNow ?? (await deps.epoch)}-${job.seq}"`;
    const notModified = matchesEtag(c.req.header('if-none-match'), etag);
    const headers: Record<string, string> = {
      'Cache-Control': 'private, no-cache',
      [MIN_POLL_INTERVAL_HEADER]: minPollInterval,
      [MAX_IDS_HEADER]: maxIds,
      ETag: etag,
    };
    if (!notModified) headers['Content-Type'] = 'application/json';
    const body = notModified ? null : JSON.stringify(job);
    const status = notModified ? 304 : 200;
    // Nothing of the app's runs before this route (only the `*` middleware and the route's
    // docs do): no header can have been set on the context, so the answer is built with
    // its headers as a plain object, and neither Hono nor @hono/node-server makes a
    // Headers object for it. Otherwise Hono merges them with what the app set.
    if (c.req.routeIndex === ROUTE_AFTER_MIDDLEWARE) return new Response(body, { status, headers });
    return body === null ? c.body(null, 304, headers) : c.body(body, 200, headers);
  }));

  app.get('/:id/logs', routeDocs.logs, guard(async (c) => {
    const job = await visibleJob(c);
    const after = integerParam(c.req.query('after'), 'after', 0, Number.MAX_SAFE_INTEGER, 0);
    const limit = integerParam(c.req.query('limit'), 'limit', 1, limits.maxLogPageSize, 200);
    const lines = await registry.logs(job.job_id, after, limit);
    c.header('Cache-Control', 'private, no-cache');
    return c.json({ lines, next_after: lines.at(-1)?.seq ?? after });
  }));

  app.post('/:id/cancel', routeDocs.cancel, guard(async (c) => {
    const job = await visibleJob(c);
    return c.json(await registry.cancel(job.job_id, actorOf(c.get('jobStatusPrincipal'))), 202);
  }));

  app.all('*', guard((c) => {
    throw new JobStatusError(404, 'not_found', `${c.req.method} ${new URL(c.req.url).pathname}: no such route`);
  }));

  return app;
}

/** The shared empty list of a query parameter a stream does not use. */
const NO_VALUES: string[] = [];
/** The shared empty set: most streams filter on one dimension, and 10 000 streams would each hold three empty sets. */
const NONE: ReadonlySet<never> = new Set();
const setOf = <T>(values: readonly T[]): ReadonlySet<T> => (values.length ? new Set(values) : NONE);
