import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import type { JobStatus } from '@job-status/hono';
import { DOCUMENT_PATH, packageDocument } from '../scripts/openapi.js';
import { asAdmin, createTestJobs, gate, json } from './support.js';

type Document = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };

/**
 * Checks a real answer against the document: its status is documented for the route, and
 * a JSON body matches the documented schema. Returns the operation it matched.
 */
function conformance(document: Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document as object, 'doc');
  const templates = Object.keys(document.paths).map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  const seen = new Set<string>();
  return {
    seen,
    async check(method: string, path: string, response: Response) {
      const bare = path.replace(/^\/jobs/, '').replace(/\?.*$/, '') || '/';
      const template = templates.find((t) => t.pattern.test(bare) && document.paths[t.path]![method]);
      expect(template, `${method} ${bare} is not in the document`).toBeDefined();
      const operation = document.paths[template!.path]![method]!;
      const status = String(response.status);
      expect(Object.keys(operation.responses), `${method} ${template!.path} does not document ${status}`).toContain(status);
      const type = response.headers.get('content-type') ?? '';
      if (type.startsWith('application/json')) {
        const pointer = `doc#/paths/${template!.path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${status}/content/application~1json/schema`;
        const validate = ajv.compile({ $ref: pointer });
        const body = await response.clone().json();
        expect(validate(body), `${method} ${template!.path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`).toBe(true);
      } else if (response.status !== 304) {
        expect(Object.keys(operation.responses[status]!.content ?? {}).some((media) => type.startsWith(media))).toBe(true);
      }
      seen.add(`${method} ${template!.path} ${status}`);
      return response;
    },
  };
}

describe('the OpenAPI document', () => {
  it('in docs/openapi.json is a valid OpenAPI 3.1 document and what the build writes today', async () => {
    const written = readFileSync(DOCUMENT_PATH, 'utf8');
    const result = await new Validator().validate(JSON.parse(written));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    // `npm run build -w @job-status/hono` rewrites it; a route change without it fails here.
    expect(written).toBe(await packageDocument());
  });

  it('is served at GET /openapi.json only when the app opts in, to callers authorize accepts, with each kind\'s input', async () => {
    const closed = createTestJobs();
    const open = createTestJobs({ openapi: true });
    open.jobs.define('sync.push', { label: 'Push', input: z.object({ dry_run: z.boolean() }), run: () => undefined });
    try {
      expect((await closed.app.request('/jobs/openapi.json', { headers: asAdmin })).status).toBe(400);
      expect((await open.app.request('/jobs/openapi.json')).status).toBe(401);
      expect((await open.app.request('/jobs/openapi.json', { headers: { 'x-user': 'viewer' } })).status).toBe(403);
      const response = await open.app.request('/jobs/openapi.json', { headers: asAdmin });
      expect(response.status).toBe(200);
      const document = (await response.json()) as { paths: Record<string, any> };
      expect((await new Validator().validate(document as Parameters<Validator["validate"]>[0])).valid).toBe(true);
      const body = document.paths['/'].post.requestBody.content['application/json'].schema;
      expect(body.oneOf).toEqual([
        expect.objectContaining({
          title: 'Push',
          properties: expect.objectContaining({ kind: { const: 'sync.push' }, input: expect.objectContaining({ properties: { dry_run: { type: 'boolean' } }, required: ['dry_run'] }) }),
        }),
      ]);
    } finally {
      await Promise.all([closed.jobs.close(), open.jobs.close()]);
    }
  });
});

describe('every route answers as the document says', () => {
  let jobs: JobStatus;
  let app: ReturnType<typeof createTestJobs>['app'];
  let contract: ReturnType<typeof conformance>;
  const release = gate();

  beforeAll(async () => {
    ({ jobs, app } = createTestJobs({ health: true, limits: { maxStreamsPerCaller: 1 } }));
    jobs.define('demo.quick', { input: z.object({ count: z.number().int() }).optional(), run: (ctx) => ctx.log('info', 'one line') });
    jobs.define('demo.held', { run: () => release.promise });
    contract = conformance(JSON.parse(await packageDocument()) as Document);
  });
  afterAll(async () => {
    release.open();
    await jobs.close();
  });

  const call = (method: 'get' | 'post', path: string, init: RequestInit = { headers: asAdmin }) =>
    Promise.resolve(app.request(path, { ...init, method: method.toUpperCase() })).then((response) => contract.check(method, path, response));

  it('POST / answers 202, 400, 401, 403, 413 and 415 in their documented shapes', async () => {
    const created = await call('post', '/jobs', json({ kind: 'demo.quick', target: 'peer-a', input: { count: 2 } }));
    expect(created.status).toBe(202);
    expect((await call('post', '/jobs', json({ kind: 'nope' }))).status).toBe(400);
    expect((await call('post', '/jobs', json({ kind: 'demo.quick' }, {}))).status).toBe(401);
    expect((await call('post', '/jobs', json({ kind: 'demo.quick' }, { 'x-user': 'viewer' }))).status).toBe(403);
    expect((await call('post', '/jobs', json({ kind: 'demo.quick', input: 'x'.repeat(70_000) }))).status).toBe(413);
    expect((await call('post', '/jobs', { method: 'POST', headers: { ...asAdmin, 'content-type': 'text/plain' }, body: 'kind=x' })).status).toBe(415);
  });

  it('the reads answer 200, 304, 400 and 404 in their documented shapes', async () => {
    const { job_id } = (await (await app.request('/jobs', json({ kind: 'demo.quick' }))).json()) as { job_id: string };
    await expect.poll(async () => (await jobs.get(job_id))?.state).toBe('success');
    expect((await call('get', '/jobs')).status).toBe(200);
    expect((await call('get', '/jobs?state=bogus')).status).toBe(400);
    const polled = await call('get', `/jobs?ids=${job_id}`);
    expect((await call('get', `/jobs?ids=${job_id}`, { headers: { ...asAdmin, 'if-none-match': polled.headers.get('etag')! } })).status).toBe(304);
    expect((await call('get', '/jobs/kinds')).status).toBe(200);
    const one = await call('get', `/jobs/${job_id}`);
    expect(one.status).toBe(200);
    expect((await call('get', `/jobs/${job_id}`, { headers: { ...asAdmin, 'if-none-match': one.headers.get('etag')! } })).status).toBe(304);
    expect((await call('get', '/jobs/not-an-id')).status).toBe(400);
    expect((await call('get', `/jobs/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call('get', `/jobs/${job_id}/logs`)).status).toBe(200);
    expect((await call('post', `/jobs/${job_id}/cancel`, { headers: { ...asAdmin, origin: 'http://localhost' } })).status).toBe(409);
  });

  it('cancel answers 202, the stream 200 and then 429, and health 200', async () => {
    const held = await jobs.enqueue('demo.held');
    expect((await call('post', `/jobs/${held.job_id}/cancel`, { headers: { ...asAdmin, origin: 'http://localhost' } })).status).toBe(202);
    const stream = await call('get', '/jobs/events');
    expect(stream.status).toBe(200);
    expect((await call('get', '/jobs/events')).status).toBe(429);
    await stream.body?.cancel();
    expect((await call('get', '/jobs/health', {})).status).toBe(200);
  });

  it('would catch an answer that drifted from the document', async () => {
    const strict = conformance(JSON.parse(await packageDocument()) as Document);
    const drifted = new Response(JSON.stringify({ jobs: [{ job_id: 'x' }], next_cursor: null }), { status: 200, headers: { 'content-type': 'application/json' } });
    await expect(strict.check('get', '/jobs', drifted)).rejects.toThrow(/get \/ 200: /);
    const undocumented = new Response(null, { status: 418 });
    await expect(strict.check('get', '/jobs/kinds', undocumented)).rejects.toThrow(/does not document 418/);
  });

  it('has exercised every documented operation', () => {
    const document = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Document;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    const exercised = new Set([...contract.seen].map((entry) => entry.split(' ').slice(0, 2).join(' ')));
    expect(operations.filter((operation) => !exercised.has(operation))).toEqual([]);
  });
});
