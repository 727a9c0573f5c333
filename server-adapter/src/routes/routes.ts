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
import type { PolledJob } from '../registry/job-reads.js';
import type { JobRegistry } from '../registry/registry.js';
import type { StoreHealth } from '../registry/store-health.js';
import type { SseHub } from '../sse/hub.js';
import { streamResponse } from '../sse/stream-response.js';
import { matchesEtag, versionsTag } from './etag.js';
import { errorAnswer } from './error-answer.js';
import { jsonSchemaOf } from './kind-schema.js';
import { documented, routeDocs } from './contract.js';
import type { RouteDocsMark } from './contract.js';
import type { ListQuery } from '../stores/store.js';
import {
  badRequest,
  cursorParam,
  integerParam,
  jobId,
  listParam,
  logParams,
  name,
  queryValues,
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

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as PromiseLike<T> | null)?.then === 'function';
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
  const minPollInterval = String(deps.minPollIntervalS);
  const maxIds = String(limits.maxIds);
  /** A poll's answer: 304 when `If-None-Match` names `etag`, else 200 with the JSON `body()` makes. */
  const pollAnswer = (c: Context, etag: string, body: () => string) => {
    const notModified = matchesEtag(c.req.header('if-none-match'), etag);
    const headers: Record<string, string> = {
      'Cache-Control': 'private, no-cache',
      [MIN_POLL_INTERVAL_HEADER]: minPollInterval,
      [MAX_IDS_HEADER]: maxIds,
      ETag: etag,
    };
    if (notModified) {
      // Nothing of the app's ran before this route (it is the first matched handler): no
      // header can have been set on the context, so the answer is built with its headers
      // as a plain object, and neither Hono nor @hono/node-server makes a Headers object
      // for it. Otherwise Hono merges them with what the app set.
      return c.req.routeIndex === 0 ? new Response(null, { status: 304, headers }) : c.body(null, 304, headers);
    }
    headers['Content-Type'] = 'application/json';
    const text = body();
    return c.req.routeIndex === 0 ? new Response(text, { status: 200, headers }) : c.body(text, 200, headers);
  };
  /** The answer for a job the caller may not see: the same as for a job that never existed. */
  const notFound = (id: string) => new JobStatusError(404, 'not_found', `id: no job ${id}`);
  /** A job the caller may see, or 404. */
  const seen = (principal: P, id: string, job: JobSnapshot | null): JobSnapshot => {
    if (!visible(principal, job)) throw notFound(id);
    return job;
  };
  const visibleJob = async (c: Context<JobStatusEnv<P>>, principal: P) => {
    const id = jobId(c.req.param('id') ?? '', 'id');
    return seen(principal, id, await registry.get(id));
  };

  /** The caller `authorize` names, or the refusal; also refuses a change from another site. */
  const admitted = (c: Context<JobStatusEnv<P>>, principal: P | null | undefined | false): P => {
    if (principal === null || principal === undefined) throw new JobStatusError(401, 'unauthorized', 'Sign in to see jobs.');
    if (principal === false) throw new JobStatusError(403, 'forbidden', 'You are signed in but not allowed to use jobs.');
    if (typeof principal !== 'object' || typeof principal.id !== 'string' || !principal.id) {
      throw new Error('job-status: authorize must return a principal with a string `id`, null or false');
    }
    c.set('jobStatusPrincipal', principal);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') assertSameOrigin(c, deps.trustedOrigins);
    return principal;
  };
  /**
   * Admits a request: waits for the store to open and the registry to start, then asks
   * `authorize`. Once both have happened and the hook answers synchronously, it answers
   * at once, with no promise: a poll is the hot path.
   */
  const admit = (c: Context<JobStatusEnv<P>>): P | Promise<P> => {
    if (deps.health.state === 'opening' || !started) {
      return (async () => {
        if (deps.health.state === 'opening') await deps.health.whenOpened();
        if (!started) await registry.ready;
        return admitted(c, await deps.authorize(c));
      })();
    }
    const answer = deps.authorize(c);
    return isThenable(answer) ? Promise.resolve(answer).then((principal) => admitted(c, principal)) : admitted(c, answer);
  };
  /** `run()`'s answer, or the error it threw or rejected with, answered as the contract says. */
  const answered = <R>(c: Context<JobStatusEnv<P>>, run: () => R | Promise<R>): R | Response | Promise<R | Response> => {
    try {
      const result = run();
      return isThenable(result) ? Promise.resolve(result).catch((error: unknown) => errorAnswer(error, c, deps.logger)) : result;
    } catch (error) {
      return errorAnswer(error, c, deps.logger);
    }
  };
  type Handler = (c: Context<JobStatusEnv<P>>, principal: P) => Response | Promise<Response>;
  /**
   * A route: one handler that admits the caller, then answers (each handler catches its
   * own errors, rather than `app.onError`, which Hono turns into one more composed async
   * layer around every route of a mounted sub-app). There is no middleware in front of
   * the routes: when nothing of the app's matches the path either, Hono calls the one
   * handler directly, and an answer known at once (a 304 for a job this process runs) is
   * written in the request's own turn, with no promise.
   */
  const route = (docs: RouteDocsMark | null, handler: Handler) =>
    documented(docs, (c: Context<JobStatusEnv<P>>) =>
      answered(c, () => {
        const principal = admit(c);
        return isThenable(principal) ? principal.then((p) => handler(c, p)) : handler(c, principal);
      }),
    );

  // The body limit runs after admission: a caller `authorize` refuses learns nothing of it.
  app.post(
    '/',
    documented(routeDocs.create, (c: Context<JobStatusEnv<P>>, next: Next) =>
      answered(c, () => {
        const principal = admit(c);
        return isThenable(principal) ? principal.then(() => next()) : next();
      }),
    ),
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: (c) => {
        // The rest of the body is never read: the connection cannot carry another request.
        c.header('Connection', 'close');
        return c.json({ error: { code: 'payload_too_large', message: `body: at most ${limits.maxBodyBytes} bytes are accepted` } }, 413);
      },
    }),
    async (c: Context<JobStatusEnv<P>>) => answered(c, async () => {
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

  app.get('/', route(routeDocs.list, (c, principal) => {
    // Read from the URL directly unless the query needs decoding: a poll is the hot path.
    const idsParam = queryValues(c.req.url, 'ids') ?? c.req.queries('ids');
    if (idsParam) {
      const ids = listParam(idsParam);
      if (ids.length > limits.maxIds) {
        // The refusal says the limit too, so a client can split its request.
        c.header(MAX_IDS_HEADER, maxIds);
        throw badRequest('too_many_ids', `ids: at most ${limits.maxIds} ids per request`);
      }
      const wanted = new Set<string>();
      for (const id of ids) wanted.add(jobId(id, 'ids'));
      const answer = (polled: PolledJob[], epoch: string) => {
        const jobs = canSee ? polled.filter((job) => canSee(principal, job.snapshot())) : polled;
        // The same text as JSON.stringify({jobs, next_cursor: null}), from each job's kept JSON.
        return pollAnswer(c, `W/"${epoch}-${versionsTag(jobs)}"`, () => {
          let text = '{"jobs":[';
          for (let i = 0; i < jobs.length; i++) text += (i ? ',' : '') + jobs[i]!.json();
          return `${text}],"next_cursor":null}`;
        });
      };
      // Answered in the request's own turn when every job is known at once (see GET /:id).
      const now = registry.pollNow(wanted);
      if (now && epochNow !== null) return answer(now, epochNow);
      return (async () => answer(await registry.poll([...wanted]), epochNow ?? (await deps.epoch)))();
    }
    c.header('Cache-Control', 'private, no-cache');
    c.header(MIN_POLL_INTERVAL_HEADER, minPollInterval);
    c.header(MAX_IDS_HEADER, maxIds);
    const query: ListQuery = {
      states: statesParam(listParam(c.req.queries('state'))),
      kinds: listParam(c.req.queries('kind')).map((kind) => name(kind, 'kind')),
      targets: listParam(c.req.queries('target')).map((target) => name(target, 'target')),
      limit: integerParam(c.req.query('limit'), 'limit', 1, limits.maxPageSize, 20),
      cursor: cursorParam(c.req.query('cursor')),
      sort: sortParam(c.req.query('sort')),
    };
    return registry.listVisible(query, (job) => visible(principal, job)).then((page) => c.json(page));
  }));

  app.get('/kinds', route(routeDocs.kinds, async (c) =>
    c.json({
      kinds: await Promise.all(registry.kinds().map(async ([kind, definition]) => ({
        kind,
        label: typeof definition.label === 'string' ? definition.label : kind,
        input: await jsonSchemaOf(definition.input),
      }))),
    }),
  ));

  app.get('/events', route(routeDocs.events, async (c, principal) => {
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
    // As for `GET /:id`: when nothing of the app's ran before this route (it is the first
    // matched handler), nothing can have set a header, and the stream goes out with its own alone.
    const appHeaders = c.req.routeIndex !== 0;
    return streamResponse(
      c,
      streamHeaders,
      (sink, signal) => hub.open({ principal, callerId: principal.id, filter, logs, lastEventId: resumeFrom, sink, signal }),
      streams,
      appHeaders,
    );
  }));

  app.get('/:id', route(routeDocs.get, (c, principal) => {
    const id = jobId(c.req.param('id') ?? '', 'id');
    const answer = ([job]: PolledJob[], epoch: string) => {
      if (!job || (canSee && !canSee(principal, job.snapshot()))) throw notFound(id);
      return pollAnswer(c, `"${epoch}-${job.job.seq}"`, () => job.json());
    };
    // Answered in the request's own turn when the job is known at once (admission made
    // sure that the store opened): one this process runs, or from a store that reads
    // synchronously.
    const now = registry.pollNow([id]);
    if (now && epochNow !== null) return answer(now, epochNow);
    return (async () => answer(await registry.poll([id]), epochNow ?? (await deps.epoch)))();
  }));

  app.get('/:id/logs', route(routeDocs.logs, async (c, principal) => {
    const job = await visibleJob(c, principal);
    const after = integerParam(c.req.query('after'), 'after', 0, Number.MAX_SAFE_INTEGER, 0);
    const limit = integerParam(c.req.query('limit'), 'limit', 1, limits.maxLogPageSize, 200);
    const lines = await registry.logs(job.job_id, after, limit);
    c.header('Cache-Control', 'private, no-cache');
    return c.json({ lines, next_after: lines.at(-1)?.seq ?? after });
  }));

  app.post('/:id/cancel', route(routeDocs.cancel, async (c, principal) => {
    const job = await visibleJob(c, principal);
    return c.json(await registry.cancel(job.job_id, actorOf(principal)), 202);
  }));

  // Any other route: a JSON 404, after admission like every route. Registered by method and
  // shape, so that none overlaps a route (Hono would compose two handlers, async, for every
  // request of it) and none has a pattern Hono's router tests on the path of a poll: other
  // methods on `/`, `/:id`, `/:id/logs` and `/:id/cancel`; any method on a deeper path or
  // one ending in `/` (`:rest`, tested only on paths of two segments or more); any path
  // whose first segment is empty (`/jobs/`, `/jobs//x`: the static empty segment of `//*`).
  const noSuchRoute = route(null, (c) => {
    throw new JobStatusError(404, 'not_found', `${c.req.method} ${new URL(c.req.url).pathname}: no such route`);
  });
  const others = ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
  app.on(['POST', ...others], ['/', '/:id', '/:id/logs'], noSuchRoute);
  app.on(['GET', ...others], '/:id/cancel', noSuchRoute);
  app.all('/:id/:rest{(?!logs$|cancel$)[^]*}', noSuchRoute);
  app.all('//*', noSuchRoute);

  return app;
}

/** The shared empty list of a query parameter a stream does not use. */
const NO_VALUES: string[] = [];
/** The shared empty set: most streams filter on one dimension, and 10 000 streams would each hold three empty sets. */
const NONE: ReadonlySet<never> = new Set();
const setOf = <T>(values: readonly T[]): ReadonlySet<T> => (values.length ? new Set(values) : NONE);
