import { describe, expect, it } from 'vitest';
import * as api from '@job-status/hono';
import { alreadyFinished, decodeCursor, notOwner, pageOf, publicSnapshot, refusal } from '@job-status/hono/store';
import { jobFixture } from './store-suite.js';

describe('@job-status/hono/store', () => {
  it('gives a third-party store the refusals its save must throw', () => {
    const job = { ...jobFixture({ owner: 'a' }), seq: 1 };
    expect(refusal(undefined, job)).toBeNull();
    expect(refusal(job, { owner: 'a' })).toBeNull();
    expect(refusal(job, { owner: 'b' })).toMatchObject({ status: 409, code: 'not_owner' });
    expect(refusal({ ...job, state: 'success' }, { owner: 'a' })).toMatchObject({ status: 409, code: 'already_finished' });
    expect(alreadyFinished({ job_id: 'x', state: 'failed' })).toBeInstanceOf(api.JobStatusError);
    expect(notOwner({ job_id: 'x', owner: null })).toMatchObject({ code: 'not_owner' });
  });

  it('keeps what only the server needs out of the event log', () => {
    const snapshot = publicSnapshot({ ...jobFixture({ idempotency_key: 'k', owner: 'a' }), seq: 1 });
    expect(Object.keys(snapshot)).not.toContain('input');
    expect(Object.keys(snapshot)).not.toContain('idempotency_key');
    expect(Object.keys(snapshot)).not.toContain('owner');
  });

  it('pages a history with cursors the routes accept', () => {
    const jobs = [0, 1, 2].map((minute) => ({ ...jobFixture({}, minute), seq: minute + 1 }));
    const page = pageOf(jobs, { sort: 'created_asc', limit: 2 });
    expect(page.jobs).toEqual(jobs.slice(0, 2));
    expect(decodeCursor(page.next_cursor!)).toEqual({ at: jobs[1]!.created_at, id: jobs[1]!.job_id });
    expect(pageOf(jobs, { sort: 'created_asc', limit: 3 }).next_cursor).toBeNull();
  });
});

describe('@job-status/hono', () => {
  it('exports what apps use, and neither the SSE comment encoder nor store internals', () => {
    expect(Object.keys(api).sort()).toEqual(['DEFAULT_LIMITS', 'JobAbortedError', 'JobFailure', 'JobStatusError', 'createJobStatus', 'encodeFrame', 'memoryBus', 'memoryStore', 'silentTelemetry']);
  });
});
