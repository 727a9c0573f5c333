import { isTerminalState } from '@job-status/protocol';
import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import type { JobStatusError } from './job-status-error.js';
import type { JobFilter, JobListener, JobScope, JobUpdate } from './types.js';

/** What a tab watches: one job, the newest job of a scope, a filtered feed, or a log. */
export type Subject =
  | { type: 'job'; id: string; listeners: Map<JobListener, unknown> }
  | {
      type: 'scope';
      kind: string;
      target: string | null;
      /** The newest job of the scope known, or null. */
      id: string | null;
      /** Its newest job has been asked for. */
      loaded: boolean;
      listeners: Map<JobListener, unknown>;
    }
  | {
      type: 'jobs';
      filter: JobFilter;
      listener: (jobs: JobSnapshot[]) => void;
      /** The seq heard last per job, so no snapshot is heard twice. */
      seen: Map<string, number>;
      batch: JobSnapshot[];
    }
  | {
      type: 'log';
      id: string;
      /** The last line heard. */
      after: number;
      /** A line arrived: the listener follows the stream from here. */
      started: boolean;
      listener: (lines: JobLogLine[]) => void;
      batch: JobLogLine[];
    };

/**
 * What a tab needs from the stream (or the poll), as plain data a follower tab sends to
 * the leader over BroadcastChannel.
 */
export interface Wants {
  /** Watched jobs that may still change: unknown yet, or known and not terminal. */
  ids: string[];
  scopes: JobScope[];
  filters: JobFilter[];
  /** Per job whose log is watched, the line after which lines are needed (Infinity: following already). */
  logs: Record<string, number>;
}

export const hasWork = (w: Wants) =>
  w.ids.length + w.scopes.length + w.filters.length + Object.keys(w.logs).length > 0;

/** What a scope's listeners heard when it has no job. */
const EMPTY = {};

const matches = (f: JobFilter, s: JobSnapshot) =>
  (!f.kind || f.kind === s.kind) && (!f.target || f.target === s.target) && (!f.state || f.state === s.state);

/** The least time between two batches: a display frame. */
const BATCH_MS = 16;

/**
 * Every subject of one tab, the newest snapshot of each watched job, and the delivery of
 * what changed in batches: each listener hears the newest state it has not heard. A batch
 * visits only the subjects that changed since the last one, so an update costs the subject
 * it concerns, not every subject of the page. `changed` is called when what the tab needs
 * may have changed.
 *
 * A batch goes out in a task of its own, at least {@link BATCH_MS} after the one before
 * (a microtask while the page is hidden, or outside a page), not in an animation frame:
 * a frame requested for each update costs the page a frame (style, paint, commit) even
 * when the update changes nothing on screen, such as a tile out of view.
 */
export function createSubjects(changed: () => void) {
  const subjects = new Map<unknown, Subject>();
  /** The subjects that are not one job (scopes, feeds, logs): what a snapshot may concern besides its own job. */
  const others = new Set<Subject>();
  /** The subjects to visit in the next batch. */
  const dirty = new Set<Subject>();
  /** The newest snapshot of every job of interest; null: gone. */
  const known = new Map<string, JobSnapshot | null>();
  let batching = false;
  /** When the last batch went out (`performance.now()`). */
  let sent = -BATCH_MS;
  let fatal: JobStatusError | undefined;

  function call<T>(listener: (value: T) => void, value: T) {
    try {
      listener(value);
    } catch (error) {
      reportError(error);
    }
  }

  function deliver() {
    batching = false;
    sent = performance.now();
    const due = [...dirty];
    dirty.clear();
    for (const s of due) {
      if (s.type === 'jobs' || s.type === 'log') {
        const batch = s.batch as never[];
        s.batch = [];
        if (batch.length) call(s.listener, batch);
        continue;
      }
      const now = fatal ?? (s.id ? known.get(s.id) : s.type === 'scope' && s.loaded ? EMPTY : undefined);
      if (now === undefined) continue;
      for (const [listener, heard] of s.listeners) {
        if (heard === now) continue;
        s.listeners.set(listener, now);
        call<JobUpdate>(
          listener,
          now === fatal ? { type: 'error', error: fatal }
          : now === EMPTY ? { type: 'empty' }
          : now ? { type: 'snapshot', snapshot: now as JobSnapshot }
          : { type: 'gone', jobId: s.id! },
        );
      }
    }
  }

  /** Visits `subject` in the next batch. */
  function mark(subject: Subject | undefined) {
    if (!subject) return;
    dirty.add(subject);
    if (batching) return;
    batching = true;
    if (!globalThis.document || document.hidden) queueMicrotask(deliver);
    else setTimeout(deliver, Math.max(0, sent + BATCH_MS - performance.now()));
  }

  /** Visits every subject in the next batch (the refusal started or ended). */
  const markAll = () => subjects.forEach(mark);

  return {
    known,
    get fatal() {
      return fatal;
    },
    set fatal(error) {
      fatal = error;
      markAll();
    },

    /** Adds a subject under `key` (or a listener to the one there); returns unsubscribe. */
    add(key: unknown, subject: Subject, listener?: JobListener) {
      const current = subjects.get(key) ?? subject;
      subjects.set(key, current);
      if (current.type !== 'job') others.add(current);
      if (listener && 'listeners' in current) current.listeners.set(listener, undefined);
      mark(current);
      changed();
      return () => {
        if (subjects.get(key) !== current) return;
        if (listener && 'listeners' in current && (!current.listeners.delete(listener) || current.listeners.size)) return;
        subjects.delete(key);
        others.delete(current);
        dirty.delete(current);
        changed();
      };
    },

    /**
     * Takes a snapshot in unless one with an equal or higher `seq` is known; a scope moves
     * to it when it is newer than the scope's job. `keep`: store it even if unwatched.
     */
    accept(s: JobSnapshot, keep?: boolean) {
      for (const sub of others) {
        if (sub.type !== 'jobs' || !matches(sub.filter, s) || (sub.seen.get(s.job_id) ?? -1) >= s.seq) continue;
        sub.seen.set(s.job_id, s.seq);
        sub.batch = sub.batch.filter((b) => b.job_id !== s.job_id);
        sub.batch.push(s);
        mark(sub);
      }
      const old = known.get(s.job_id);
      if (old && old.seq >= s.seq) return;
      const job = subjects.get(s.job_id);
      let wanted = keep || !!job;
      for (const sub of others) {
        if (sub.type !== 'scope' || sub.kind !== s.kind || sub.target !== s.target) continue;
        const current = sub.id && known.get(sub.id);
        if (!current || sub.id === s.job_id || s.created_at > current.created_at) {
          sub.id = s.job_id;
          wanted = true;
          mark(sub);
        }
      }
      if (!wanted) return;
      // Delivery reads `known` when the batch goes out, so marking before storing is fine.
      known.set(s.job_id, s);
      mark(job);
      // A terminal job leaves the poll; a kept one is dropped later if nobody watches it.
      if (isTerminalState(s.state) || keep) changed();
    },

    /** A watched job does not exist (any more) for this caller. */
    gone(id: string) {
      const job = subjects.get(id);
      if (job?.type !== 'job') return;
      known.set(id, null);
      mark(job);
      // A scope showing that job hears it is gone too.
      for (const sub of others) if (sub.type === 'scope' && sub.id === id) mark(sub);
    },

    /** The scopes of kind + target have asked for their newest job. */
    loaded({ kind, target }: JobScope) {
      for (const s of others) {
        if (s.type !== 'scope' || s.kind !== kind || s.target !== target) continue;
        s.loaded = true;
        mark(s);
      }
    },

    /** Log lines of one job, in order; each listener hears those after its last. */
    lines(id: string, lines: JobLogLine[]) {
      for (const s of others) {
        if (s.type !== 'log' || s.id !== id) continue;
        const fresh = lines.filter((line) => line.seq > s.after);
        if (!fresh.length) continue;
        s.after = fresh.at(-1)!.seq;
        s.started = true;
        s.batch.push(...fresh);
        mark(s);
      }
    },

    /** Seqs may restart in a new event log: forget every snapshot, so each is fetched again. */
    resync() {
      known.clear();
      for (const s of others) {
        if (s.type !== 'scope') continue;
        s.id = null;
        s.loaded = false;
      }
    },

    /** Drops snapshots nobody watches; returns what this tab needs. */
    wants(): Wants {
      const w: Wants = { ids: [], scopes: [], filters: [], logs: {} };
      const ids = new Set<unknown>();
      for (const s of subjects.values()) {
        ids.add(s.type === 'job' || s.type === 'scope' ? s.id : undefined);
        if (s.type === 'job') {
          const snapshot = known.get(s.id);
          if (snapshot !== null && !(snapshot && isTerminalState(snapshot.state))) w.ids.push(s.id);
        } else if (s.type === 'scope') w.scopes.push({ kind: s.kind, target: s.target });
        else if (s.type === 'jobs') w.filters.push(s.filter);
        else w.logs[s.id] = Math.min(w.logs[s.id] ?? Infinity, s.started ? Infinity : s.after);
      }
      for (const id of known.keys()) if (!ids.has(id)) known.delete(id);
      return w;
    },

    /** What this tab has never loaded: watched jobs not known yet, scopes not asked for yet. */
    unloaded(): [string[], JobScope[]] {
      const list = [...subjects.values()];
      return [
        list.flatMap((s) => (s.type === 'job' && !known.has(s.id) ? [s.id] : [])),
        list.flatMap((s) => (s.type === 'scope' && !s.loaded ? [{ kind: s.kind, target: s.target }] : [])),
      ];
    },

    clear() {
      subjects.clear();
      others.clear();
      dirty.clear();
    },
  };
}

export type Subjects = ReturnType<typeof createSubjects>;
