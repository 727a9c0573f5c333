import type { JobSnapshot } from '@job-status/protocol';
import { isScoped } from './session.js';
import type { SseSession, StreamFilter } from './session.js';

/**
 * The streams that name one job. `only` is the filter of a stream that names this job and
 * nothing else, shared by every such stream (a page of tiles opens many streams on the
 * same job): ten thousand streams on a thousand jobs then hold a thousand filters, not
 * ten thousand (each a set, and the request text its job id was cut from).
 */
class JobStreams<P> extends Set<SseSession<P>> {
  only: StreamFilter | null = null;
}

/** True when the filter names exactly one job and nothing else. */
const namesOneJob = (filter: StreamFilter) => filter.jobs.size === 1 && !isScoped(filter);

/**
 * The open streams of a hub, indexed by what they filter on (job id, kind, target,
 * state), so that a change finds the streams that may carry it without scanning every
 * stream; and counted per caller, for the per-caller bound.
 */
export class SessionIndex<P> {
  readonly #all = new Set<SseSession<P>>();
  readonly #byJob = new Map<string, JobStreams<P>>();
  readonly #byKind = new Map<string, Set<SseSession<P>>>();
  readonly #byTarget = new Map<string, Set<SseSession<P>>>();
  readonly #byState = new Map<string, Set<SseSession<P>>>();
  /** Streams without any filter: in no other index. */
  readonly #unfiltered = new Set<SseSession<P>>();
  readonly #perCaller = new Map<string, number>();

  /** Open streams, in all. */
  get size() {
    return this.#all.size;
  }

  /** Every open stream. */
  sessions(): IterableIterator<SseSession<P>> {
    return this.#all.values();
  }

  /** Open streams of one caller. */
  countOf(callerId: string) {
    return this.#perCaller.get(callerId) ?? 0;
  }

  /**
   * The filter a new stream should hold: for one that names one job and nothing else, the
   * equal filter the open streams on that job already share (none yet: its own).
   */
  shared(filter: StreamFilter): StreamFilter {
    if (!namesOneJob(filter)) return filter;
    for (const id of filter.jobs) return this.#byJob.get(id)?.only ?? filter;
    return filter;
  }

  add(session: SseSession<P>) {
    const { filter } = session;
    const { jobs, kinds, targets, states = new Set() } = filter;
    this.#all.add(session);
    this.#perCaller.set(session.callerId, this.countOf(session.callerId) + 1);
    for (const id of jobs) {
      let streams = this.#byJob.get(id);
      if (!streams) this.#byJob.set(id, (streams = new JobStreams()));
      streams.add(session);
      if (streams.only === null && namesOneJob(filter)) streams.only = filter;
    }
    // A scope is indexed by its kinds, or by its targets when it names no kind, or by its states.
    if (kinds.size) for (const kind of kinds) addTo(this.#byKind, kind, session);
    else if (targets.size) for (const target of targets) addTo(this.#byTarget, target, session);
    else for (const state of states) addTo(this.#byState, state, session);
    if (!jobs.size && !kinds.size && !targets.size && !states.size) this.#unfiltered.add(session);
  }

  /** Removes a stream; false when it was not there (already removed). */
  remove(session: SseSession<P>): boolean {
    if (!this.#all.delete(session)) return false;
    const left = this.countOf(session.callerId) - 1;
    if (left > 0) this.#perCaller.set(session.callerId, left);
    else this.#perCaller.delete(session.callerId);
    const { jobs, kinds, targets, states = [] } = session.filter;
    for (const id of jobs) removeFrom(this.#byJob, id, session);
    for (const kind of kinds) removeFrom(this.#byKind, kind, session);
    for (const target of targets) removeFrom(this.#byTarget, target, session);
    for (const state of states) removeFrom(this.#byState, state, session);
    this.#unfiltered.delete(session);
    return true;
  }

  /**
   * Calls `visit` once for each stream that may carry the job: the filtered ones found
   * by index (`unfiltered` false: their filter still has to match), then every
   * unfiltered one (`unfiltered` true: it carries every job its caller may see).
   */
  forCandidates(snapshot: JobSnapshot, visit: (session: SseSession<P>, unfiltered: boolean) => void) {
    // A filtered stream may sit in several indexes (a job= and a kind=): offer it once.
    const byJob = this.#byJob.get(snapshot.job_id);
    const byKind = this.#byKind.get(snapshot.kind);
    const byTarget = snapshot.target === null ? undefined : this.#byTarget.get(snapshot.target);
    const byState = this.#byState.get(snapshot.state);
    const indexed = Number(!!byJob) + Number(!!byKind) + Number(!!byTarget) + Number(!!byState);
    if (indexed === 1) {
      // One index holds every stream to offer (the usual case, such as many streams on one
      // job): each is in it once, so there is nothing to deduplicate.
      for (const session of (byJob ?? byKind ?? byTarget ?? byState)!) visit(session, false);
    } else if (indexed > 1) {
      const seen = new Set<SseSession<P>>();
      for (const sessions of [byJob, byKind, byTarget, byState]) {
        if (!sessions) continue;
        for (const session of sessions) {
          if (seen.has(session)) continue;
          seen.add(session);
          visit(session, false);
        }
      }
    }
    for (const session of this.#unfiltered) visit(session, true);
  }
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V) {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V) {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (!set.size) index.delete(key);
}
