import { describe, expect, it } from 'vitest';
import {
  JOB_STATES,
  formatEventId,
  isErrorBody,
  isJobLogEvent,
  isJobSnapshot,
  isTerminalState,
  parseEventId,
  queuedSnapshot,
  type JobSnapshot,
} from '@job-status/protocol';

const snapshot: JobSnapshot = {
  job_id: '6f1c2f6e-8a3b-4c1e-9a57-0c1d2e3f4a5b',
  kind: 'sync.push',
  target: 'peer-a',
  label: 'Push to peer-a',
  state: 'running',
  phase: 'Uploading records',
  progress: { percent: 25, current: 25, total: 100, unit: 'files' },
  message: null,
  error: null,
  created_at: '2026-11-25T10:00:00.000Z',
  started_at: '2026-11-25T10:00:00.010Z',
  finished_at: null,
  updated_at: '2026-11-25T10:00:01.000Z',
  seq: 7,
  has_logs: true,
  actor: 'admin',
};

describe('states', () => {
  it('lists six states, four of them terminal', () => {
    expect(JOB_STATES).toEqual(['queued', 'running', 'success', 'warning', 'failed', 'canceled']);
    expect(JOB_STATES.filter(isTerminalState)).toEqual(['success', 'warning', 'failed', 'canceled']);
  });
});

describe('isJobSnapshot', () => {
  it('accepts a well-formed snapshot', () => {
    expect(isJobSnapshot(snapshot)).toBe(true);
    expect(isJobSnapshot({ ...snapshot, progress: null, error: { code: 'x', message: 'y', hint: null } })).toBe(true);
  });

  it('accepts a snapshot with or without a typical duration', () => {
    expect(isJobSnapshot({ ...snapshot, typical_duration_ms: 42_000 })).toBe(true);
    expect(isJobSnapshot({ ...snapshot, typical_duration_ms: undefined })).toBe(true);
  });

  it.each([
    ['an unknown state', { state: 'done' }],
    ['a missing job_id', { job_id: undefined }],
    ['a string seq', { seq: '7' }],
    ['a progress without fields', { progress: {} }],
    ['an error without message', { error: { code: 'x', hint: null } }],
    ['has_logs as a string', { has_logs: 'true' }],
    ['a negative typical duration', { typical_duration_ms: -1 }],
    ['a typical duration as text', { typical_duration_ms: '40 s' }],
  ])('rejects %s', (_name, patch) => {
    expect(isJobSnapshot({ ...snapshot, ...patch })).toBe(false);
  });

  it('rejects things that are not objects', () => {
    for (const value of [null, undefined, 'job', 42, [snapshot]]) expect(isJobSnapshot(value)).toBe(false);
  });
});

describe('isJobLogEvent', () => {
  const line = { seq: 1, ts: '2026-01-01T00:00:00.000Z', level: 'info', message: 'hello' };
  it('accepts the data of a job-log event', () => {
    expect(isJobLogEvent({ job_id: 'a', lines: [line, { ...line, seq: 2, level: 'error' }] })).toBe(true);
    expect(isJobLogEvent({ job_id: 'a', lines: [] })).toBe(true);
  });
  it('rejects a frame that is not one, so no garbled line reaches a log view', () => {
    for (const value of [
      null,
      { job_id: '', lines: [] },
      { job_id: 'a' },
      { job_id: 'a', lines: [{ ...line, seq: 0 }] },
      { job_id: 'a', lines: [{ ...line, level: 'loud' }] },
      { job_id: 'a', lines: [{ ...line, message: 3 }] },
    ]) {
      expect(isJobLogEvent(value)).toBe(false);
    }
  });
});

describe('event ids', () => {
  it('round-trips epoch and seq', () => {
    expect(parseEventId(formatEventId({ epoch: 'a1b2', seq: 42 }))).toEqual({ epoch: 'a1b2', seq: 42 });
  });

  it.each(['', '42', 'a1b2-', '-1', 'a1b2-x', 'a-b-1', 'a1b2-99999999999999999', 'ep\n-1'])(
    'rejects %j',
    (text) => {
      expect(parseEventId(text)).toBeNull();
    },
  );
});

describe('isErrorBody', () => {
  it('recognises {error:{code,message}} only', () => {
    expect(isErrorBody({ error: { code: 'invalid_input', message: 'kind is required' } })).toBe(true);
    expect(isErrorBody({ error: 'nope' })).toBe(false);
    expect(isErrorBody({ message: 'x' })).toBe(false);
  });
});

describe('queuedSnapshot', () => {
  it('makes a valid snapshot of a job that has not started and reported nothing', () => {
    const job = queuedSnapshot({
      job_id: snapshot.job_id,
      kind: 'sync.push',
      target: 'peer-a',
      label: 'Push to peer-a',
      created_at: '2026-11-25T10:00:00.000Z',
      seq: 3,
      actor: 'admin',
    });
    expect(isJobSnapshot(job)).toBe(true);
    expect(job).toEqual({
      ...snapshot,
      state: 'queued',
      phase: null,
      progress: null,
      message: null,
      started_at: null,
      updated_at: '2026-11-25T10:00:00.000Z',
      seq: 3,
      has_logs: false,
    });
  });
});
