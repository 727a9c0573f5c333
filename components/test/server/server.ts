/**
 * The real server the client tests talk to: `@job-status/hono` on a memory store, on a
 * free port, with CORS (the tests run on another port) and a few control routes.
 *
 * Every test uses its own tenant path, `/t/<tenant>/jobs`, so tests running at the same
 * time cannot disturb each other. A tenant's switches (see `TenantFlags`) make its
 * `/events` route fail or stay silent, its polls fail, or its caller unauthorized.
 *
 * Run: `node --conditions=@job-status/source --import tsx components/test/server/server.ts`; it
 * prints one JSON line `{"url": "http://127.0.0.1:<port>"}` once it listens.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createJobStatus, JobFailure } from '@job-status/hono';
import type { JobDefinition } from '@job-status/hono';
import { MAX_IDS_HEADER, MIN_POLL_INTERVAL_HEADER } from '@job-status/protocol';
import type { JobSnapshot } from '@job-status/protocol';

interface TenantFlags {
  /** `fail`: `/events` answers 503. `silent`: it answers 200 and never sends a byte. */
  events?: 'ok' | 'fail' | 'silent';
  /** `fail`: every other GET answers 503 (with `Retry-After: retryAfter` when set). */
  polls?: 'ok' | 'fail';
  retryAfter?: number;
  /** The caller's identity: `401` (none) or `403` (not allowed). */
  auth?: 'ok' | '401' | '403';
  /** Overrides the advertised minimum polling interval, in seconds. */
  minInterval?: number;
  /** The caller's display name (recorded as a job's `actor`). Default "Admin". */
  name?: string;
}

const flags = new Map<string, TenantFlags>();
const hiddenJobs = new Set<string>();
/** Per job, its gates in order: a job waits on `gate(id, n)`; each release opens the next. */
const gates = new Map<string, Array<{ promise: Promise<void>; open: () => void }>>();
const released = new Map<string, number>();
const gate = (id: string, n: number) => {
  const list = gates.get(id) ?? [];
  gates.set(id, list);
  while (list.length <= n) {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    list.push({ promise, open });
  }
  return list[n]!;
};
const waitGate = (ctx: { jobId: string; signal: AbortSignal }, n: number) =>
  Promise.race([
    gate(ctx.jobId, n).promise,
    new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('canceled')))),
  ]);
const tenantOf = (path: string) => /^\/t\/([^/]+)\//.exec(path)?.[1] ?? '';
const flagsOf = (path: string) => flags.get(tenantOf(path)) ?? {};

const testJobStatus = (limits: { maxIds?: number } = {}) =>
  createJobStatus({
    authorize: (c) => {
      const auth = flagsOf(c.req.path).auth;
      return auth === '401' ? null : auth === '403' ? false : { id: 'admin', name: flagsOf(c.req.path).name ?? 'Admin' };
    },
    canSee: (_principal, job) => !hiddenJobs.has(job.job_id),
    limits: { maxStreamsPerCaller: 10_000, ...limits },
    // The browser tests run on the test runner's own origin, another port than this server.
    trustedOrigins: () => true,
    logger: { info: () => {}, error: (record, message) => console.error(message, record) },
  });
const jobs = testJobStatus();
/** A second job service, mounted at `/t/<tenant>/few-ids`, whose app lowered `limits.maxIds` to 3. */
const fewIds = testJobStatus({ maxIds: 3 });

/** Runs until `POST /control/release/:id`, reporting a phase and progress first. */
const gated: JobDefinition<unknown> = {
  label: 'Gated',
  run: async (ctx) => {
    ctx.phase('Waiting for release');
    ctx.progress({ current: 1, total: 2, unit: 'steps' });
    ctx.log('info', 'Waiting for release');
    await waitGate(ctx, 0);
    ctx.progress({ current: 2, total: 2, unit: 'steps' });
    return { message: 'Released' };
  },
};
jobs.define('test.gated', gated);
fewIds.define('test.gated', gated);

/** Two steps, each until a release: "Step 1", then "Step 2", then success. */
jobs.define('test.twostep', {
  label: 'Two steps',
  run: async (ctx) => {
    ctx.phase('Step 1');
    await waitGate(ctx, 0);
    ctx.phase('Step 2');
    await waitGate(ctx, 1);
    return { message: 'Both steps done' };
  },
});

/** Finishes at once. */
jobs.define('test.quick', { label: 'Quick', run: async () => ({ message: 'Done' }) });

// ---- Kinds for the element tests (components/test/elements) ----

/** Reports the progress given as input (`{percent}` or `{current, total, unit}`), then waits for a release. */
jobs.define('test.progress', {
  label: 'Progress',
  run: async (ctx, input: any) => {
    ctx.phase('Copying files');
    if (input?.progress) ctx.progress(input.progress);
    await waitGate(ctx, 0);
    return { message: 'Copied' };
  },
});

/** One at a time: while one waits for its release, the next ones stay `queued`. */
jobs.define('test.serial', {
  label: 'Serial',
  concurrency: 1,
  run: async (ctx) => {
    await waitGate(ctx, 0);
    return { message: 'Done in turn' };
  },
});

/** Records a warning and ends as `warning`. */
jobs.define('test.warn', {
  label: 'Warns',
  run: async (ctx) => {
    ctx.progress({ current: 10, total: 10, unit: 'records' });
    ctx.warn('2 records were skipped');
    return { message: 'Synced 8 of 10 records; 2 skipped' };
  },
});

/** Fails with a code and a hint. */
jobs.define('test.fail', {
  label: 'Fails',
  run: async () => {
    throw new JobFailure('The peer refused the key.', { code: 'auth_rejected', hint: 'Rotate the key under Settings, then try again.' });
  },
});

/** Puts markup in every text field: it must show as text. Waits for a release, then fails the same way. */
const HOSTILE = '<img src=x onerror="window.__hostile=1"><script>window.__hostile=2</script>';
jobs.define('test.hostile', {
  label: `Hostile ${HOSTILE}`,
  run: async (ctx) => {
    ctx.phase(HOSTILE);
    ctx.log('error', HOSTILE);
    ctx.progress({ current: 1, total: 3, unit: HOSTILE });
    await waitGate(ctx, 0);
    throw new JobFailure(HOSTILE, { code: 'hostile', hint: HOSTILE });
  },
});

/**
 * Markup in every text field, each naming its field (`hostile('phase')`...): label, phase,
 * progress unit, log line, and after a release either an error with a hint
 * (`input.outcome: 'fail'`) or a message and a result (`'succeed'`). With a hostile target
 * and a hostile actor (the tenant's `name`), every field of a job is hostile.
 */
const hostile = (field: string) => `<img src=x onerror="window.__hostile='${field}'"><script>window.__hostile='${field}'</script>${field}`;
jobs.define('test.hostile-fields', {
  label: () => hostile('label'),
  run: async (ctx, input: any) => {
    ctx.phase(hostile('phase'));
    // A unit is cut to 40 characters: a short one.
    ctx.progress({ current: 1, total: 3, unit: '<img src=x onerror=alert(1)>' });
    ctx.log('error', hostile('log'));
    await waitGate(ctx, 0);
    if (input?.outcome === 'fail') throw new JobFailure(hostile('error'), { code: 'hostile', hint: hostile('hint') });
    return { message: hostile('message'), result: { html: hostile('result') } };
  },
});

/** Logs `input.lines` lines (default 3; every fifth a warning), then after each release as many again with a new phase; ends after `input.rounds` (default 2) releases. */
jobs.define('test.logs', {
  label: 'Logs',
  run: async (ctx, input: any) => {
    const lines = input?.lines ?? 3;
    const rounds = input?.rounds ?? 2;
    let n = 0;
    for (let round = 0; round <= rounds; round++) {
      ctx.phase(`Round ${round}`);
      for (let i = 0; i < lines; i++) ctx.log(++n % 5 === 0 ? 'warn' : 'info', `line ${n}`);
      if (round < rounds) await waitGate(ctx, round);
    }
    return { message: `${n} lines` };
  },
});

/** Validates its input (`peer` must be a non-empty string) and returns it as its result. */
jobs.define('test.input', {
  label: 'Input',
  input: {
    '~standard': {
      version: 1,
      vendor: 'job-status-test',
      validate: (value: any) =>
        typeof value?.peer === 'string' && value.peer
          ? { value }
          : { issues: [{ message: 'must be a non-empty string', path: ['peer'] }] },
    },
  },
  run: async (_ctx, input) => ({ message: `Got ${JSON.stringify(input)}`, result: input }),
});

const app = new Hono();
app.use(
  '*',
  cors({
    origin: '*',
    exposeHeaders: ['ETag', 'Retry-After', MIN_POLL_INTERVAL_HEADER, MAX_IDS_HEADER, 'Job-Status-Heartbeat'],
  }),
);

app.post('/control/tenant/:tenant', async (c) => {
  flags.set(c.req.param('tenant'), await c.req.json());
  return c.json({ ok: true });
});
app.post('/control/release/:id', (c) => {
  const id = c.req.param('id');
  const n = released.get(id) ?? 0;
  released.set(id, n + 1);
  gate(id, n).open();
  return c.json({ ok: true });
});
/** The job disappears for everyone: 404 on `GET /:id`, absent from `?ids=`. */
app.post('/control/hide/:id', (c) => {
  hiddenJobs.add(c.req.param('id'));
  return c.json({ ok: true });
});
/**
 * When a job of each kind has settled into the state tests start from, as stored: a
 * gated job waits at its gate with phase, progress and log written (the log line is
 * its last call before waiting, and writes are stored in order); a two-step job waits
 * in step 1; a quick job has finished.
 */
const settled: Record<string, (job: JobSnapshot) => boolean> = {
  'test.gated': (job) => job.has_logs,
  'test.twostep': (job) => job.phase === 'Step 1',
  'test.quick': (job) => job.finished_at !== null,
};

/** Creates jobs and answers once each has settled (see `settled`), so tests start from a known state. */
app.post('/control/enqueue', async (c) => {
  const { kind, input, target, count = 1, service } = await c.req.json();
  const on = service === 'few-ids' ? fewIds : jobs;
  const created = [];
  for (let i = 0; i < count; i++) created.push(await on.enqueue(kind, input, { target, actor: 'admin' }));
  const started = [];
  for (const job of created) {
    let current = await on.get(job.job_id);
    for (let i = 0; i < 400 && current && !settled[kind]!(current); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      current = await on.get(job.job_id);
    }
    started.push(current);
  }
  return c.json({ jobs: started });
});
/** Answers 200 with HTML, as a misconfigured proxy or a login page would. */
app.get('/html/jobs/*', (c) => c.html('<!doctype html><title>Sign in</title>'));

app.use('/t/:tenant/jobs/*', async (c, next) => {
  const f = flagsOf(c.req.path);
  const isEvents = c.req.path.endsWith('/events');
  if (isEvents && f.events === 'fail') {
    return c.json({ error: { code: 'unavailable', message: 'The stream is switched off.' } }, 503);
  }
  if (isEvents && f.events === 'silent') {
    // What a buffering proxy looks like from the browser: headers, then nothing.
    return new Response(new ReadableStream({ start() {} }), {
      headers: { 'Content-Type': 'text/event-stream' },
    });
  }
  if (!isEvents && c.req.method === 'GET' && f.polls === 'fail') {
    if (f.retryAfter !== undefined) c.header('Retry-After', String(f.retryAfter));
    return c.json({ error: { code: 'unavailable', message: 'Polling is switched off.' } }, 503);
  }
  await next();
  if (f.minInterval !== undefined && c.res.headers.has(MIN_POLL_INTERVAL_HEADER)) {
    c.res.headers.set(MIN_POLL_INTERVAL_HEADER, String(f.minInterval));
  }
});
// ---- Controls for the element tests (components/test/elements) ----

/** Tenants whose `POST /` answers wait until `/control/release-enqueue/:tenant`. */
const heldEnqueues = new Map<string, Array<() => void>>();
/** Per tenant, how many `/events` streams were opened. */
const streamsOpened = new Map<string, number>();
app.post('/control/hold-enqueue/:tenant', (c) => {
  heldEnqueues.set(c.req.param('tenant'), heldEnqueues.get(c.req.param('tenant')) ?? []);
  return c.json({ ok: true });
});
app.post('/control/release-enqueue/:tenant', (c) => {
  const waiting = heldEnqueues.get(c.req.param('tenant')) ?? [];
  heldEnqueues.delete(c.req.param('tenant'));
  for (const go of waiting) go();
  return c.json({ released: waiting.length });
});
app.get('/control/held-enqueues/:tenant', (c) => c.json({ held: heldEnqueues.get(c.req.param('tenant'))?.length ?? 0 }));
app.get('/control/streams/:tenant', (c) => c.json({ opened: streamsOpened.get(c.req.param('tenant')) ?? 0 }));
app.use('/t/:tenant/jobs/*', async (c, next) => {
  const tenant = c.req.param('tenant');
  if (c.req.path.endsWith('/events')) streamsOpened.set(tenant, (streamsOpened.get(tenant) ?? 0) + 1);
  const held = heldEnqueues.get(tenant);
  if (held && c.req.method === 'POST' && /^\/t\/[^/]+\/jobs\/?$/.test(c.req.path)) {
    await new Promise<void>((resolve) => held.push(resolve));
  }
  await next();
});

app.route('/t/:tenant/jobs', jobs.routes());
app.route('/t/:tenant/few-ids', fewIds.routes());

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});

const stop = () => {
  void Promise.all([jobs.close(), fewIds.close()]).finally(() => server.close(() => process.exit(0)));
  // Open streams keep the server alive; do not wait for them.
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
