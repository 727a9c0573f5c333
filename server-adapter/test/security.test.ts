import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isErrorBody } from '@job-status/protocol';
import { asAdmin, createTestJobs } from './support.js';

/** Runs per property; `FUZZ_RUNS` raises it for the long chaos run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

describe('cross-site requests', () => {
  const ctx = createTestJobs({ trustedOrigins: ['https://admin.example.com'] });
  ctx.jobs.define('t.x', { run: () => undefined });
  afterAll(() => ctx.jobs.close());
  const post = (headers: Record<string, string>) =>
    ctx.app.request('http://jobs.local/jobs', {
      method: 'POST',
      headers: { ...asAdmin, host: 'jobs.local', 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ kind: 't.x' }),
    });

  it('refuses a POST from another site, by Origin or by Sec-Fetch-Site', async () => {
    for (const headers of <Array<Record<string, string>>>[{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'http://jobs.local.evil.example' }]) {
      const response = await post(headers);
      expect(response.status).toBe(403);
      expect((await response.json()).error.code).toBe('cross_origin');
    }
  });

  it('accepts the same host (whatever the scheme behind a proxy), a trusted origin, and callers that send no Origin', async () => {
    for (const headers of <Array<Record<string, string>>>[{ origin: 'http://jobs.local' }, { origin: 'https://jobs.local' }, { origin: 'https://admin.example.com' }, {}, { 'sec-fetch-site': 'same-origin' }]) {
      expect((await post(headers)).status).toBe(202);
    }
  });
});

describe('hostile input', () => {
  const ctx = createTestJobs({ limits: { maxBodyBytes: 4096 } });
  ctx.jobs.define('t.fuzz', { input: z.object({ n: z.number().int().min(0).max(9), tags: z.array(z.string()).max(3).optional() }), run: () => undefined });
  let known = '';
  beforeAll(async () => {
    known = (await ctx.jobs.enqueue('t.fuzz', { n: 1 })).job_id;
  });
  afterAll(() => ctx.jobs.close());

  /** Every answer is a success, or a 4xx with an `{error: {code, message}}` body. Never a 500. */
  async function expectClearAnswer(response: Response) {
    if (response.status >= 400) {
      expect(response.status).toBeLessThan(500);
      const body = await response.json();
      expect(isErrorBody(body)).toBe(true);
      expect(body.error.message.length).toBeGreaterThan(0);
    } else {
      await response.body?.cancel();
    }
  }

  const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', ' ', '\u0000', '%', '%zz', '../', '\ud800', 'a'.repeat(5000)));

  it('answers any POST body clearly', async () => {
    const body = fc.oneof(
      fc.json(),
      text,
      fc.record({ kind: fc.oneof(fc.constant('t.fuzz'), text, fc.anything()), target: fc.oneof(text, fc.anything()), input: fc.anything() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/problem+json');
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.option(text), async (payload, type, key) => {
        const headers: Record<string, string> = { ...asAdmin, 'content-type': type };
        if (key !== null && !/[\r\n\0]/.test(key)) {
          try {
            new Headers({ k: key });
            headers['idempotency-key'] = key;
          } catch {
            // not a value fetch can send at all
          }
        }
        await expectClearAnswer(await ctx.app.request('/jobs', { method: 'POST', headers, body: payload }));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any query of GET / and GET /events clearly', async () => {
    const param = fc.tuple(fc.constantFrom('state', 'kind', 'target', 'limit', 'cursor', 'sort', 'ids', 'job', 'last_event_id', 'x'), text);
    await fc.assert(
      fc.asyncProperty(fc.array(param, { maxLength: 6 }), fc.boolean(), async (params, events) => {
        const query = new URLSearchParams(params.map(([k, v]) => [k, v])).toString();
        await expectClearAnswer(await ctx.app.request(`/jobs${events ? '/events' : ''}?${query}`, { headers: asAdmin }));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any path and header values clearly', async () => {
    const encode = (value: string) => {
      try {
        return encodeURIComponent(value);
      } catch {
        return '%ED%A0%80'; // a lone surrogate, as raw bytes a client could still send
      }
    };
    const segment = fc.oneof(text.map(encode), fc.constant(known), fc.uuid());
    const tail = fc.constantFrom('', '/logs', '/cancel', '/logs?after=-1', '/logs?limit=99999', '/x/y');
    const header = fc.tuple(fc.constantFrom('if-none-match', 'last-event-id', 'content-type', 'idempotency-key'), fc.string());
    await fc.assert(
      fc.asyncProperty(segment, tail, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.array(header, { maxLength: 3 }), async (id, rest, method, extra) => {
        const headers = new Headers(asAdmin);
        for (const [name, value] of extra) {
          try {
            headers.set(name, value);
          } catch {
            // a value no client can send
          }
        }
        await expectClearAnswer(await ctx.app.request(`/jobs/${id}${rest}`, { method, headers }));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers 413 to an oversized body, even one that lies about its length', async () => {
    const big = JSON.stringify({ kind: 't.fuzz', input: { n: 1, tags: ['x'.repeat(10_000)] } });
    const response = await ctx.app.request('/jobs', { method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: big });
    expect(response.status).toBe(413);
    const chunked = await ctx.app.request('/jobs', {
      method: 'POST',
      headers: { ...asAdmin, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});
