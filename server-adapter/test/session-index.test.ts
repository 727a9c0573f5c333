import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '@job-status/protocol';
import { SessionIndex } from '../src/sse/session-index.js';
import { SseSession } from '../src/sse/session.js';
import type { StreamFilter } from '../src/sse/session.js';
import type { SseSink } from '../src/sse/sink.js';

const sink: SseSink = { write: () => undefined, buffered: 0, drained: async () => undefined, end: () => undefined, destroy: () => undefined };
const NONE = new Set<never>();
const filterOf = (jobs: string[], kinds: string[] = []): StreamFilter => ({ jobs: new Set(jobs), kinds: new Set(kinds), targets: NONE, states: NONE });
const job = (id: string, kind = 'k.one') => ({ job_id: id, kind, target: null, state: 'running' }) as JobSnapshot;

function opened(index: SessionIndex<{ id: string }>, filter: StreamFilter, caller = 'c') {
  const session = new SseSession({ id: caller }, caller, index.shared(filter), 1024, (s) => index.remove(s), () => sink);
  index.add(session);
  return session;
}

const offered = (index: SessionIndex<{ id: string }>, snapshot: JobSnapshot) => {
  const seen: Array<SseSession<{ id: string }>> = [];
  index.forCandidates(snapshot, (session) => seen.push(session));
  return seen;
};

describe('SessionIndex', () => {
  it('gives the streams that name one job and nothing else one shared filter, and offers each of them that job once', () => {
    const index = new SessionIndex<{ id: string }>();
    const a = opened(index, filterOf(['j1']), 'a');
    const b = opened(index, filterOf(['j1']), 'b');
    const scoped = opened(index, filterOf(['j1'], ['k.one']), 'c');
    const two = opened(index, filterOf(['j1', 'j2']), 'd');
    const other = opened(index, filterOf(['j2']), 'e');
    expect(b.filter).toBe(a.filter);
    expect(scoped.filter).not.toBe(a.filter);
    expect(two.filter).not.toBe(a.filter);
    expect(other.filter).not.toBe(a.filter);
    expect([...other.filter.jobs]).toEqual(['j2']);
    expect(offered(index, job('j1'))).toEqual([a, b, scoped, two]);
    expect(offered(index, job('j2', 'k.two'))).toEqual([two, other]);
  });

  it('keeps sharing after the first stream closes, and starts afresh once the job has no stream', () => {
    const index = new SessionIndex<{ id: string }>();
    const a = opened(index, filterOf(['j1']), 'a');
    const b = opened(index, filterOf(['j1']), 'b');
    a.close();
    const c = opened(index, filterOf(['j1']), 'c');
    expect(c.filter).toBe(b.filter);
    b.close();
    c.close();
    expect(index.size).toBe(0);
    expect(offered(index, job('j1'))).toEqual([]);
    const fresh = filterOf(['j1']);
    expect(opened(index, fresh, 'd').filter).toBe(fresh);
  });
});
