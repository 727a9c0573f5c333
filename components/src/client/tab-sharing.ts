import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { JobStatusError } from './job-status-error.js';
import type { Wants } from './subjects.js';
import { joinTabGroup } from './tab-group.js';
import type { ConnectionState, JobStatusClock } from './types.js';

/** What the source of updates (a tab alone, or the group's leader) hands every tab. */
export interface Batch {
  snapshots?: JobSnapshot[];
  gone?: string[];
  lines?: [string, JobLogLine[]];
  resync?: boolean;
  /** The stream's last event id: where a tab that takes over resumes. */
  id?: string | undefined;
}

/** The group's connection as its leader reports it: state, error, stale, lastUpdateAt, last event id. */
export type GroupStatus = [ConnectionState, JobStatusError | null, boolean, number | null, string | undefined];

/** What tab sharing asks of the client it serves. */
export interface SharingHooks {
  /** The role changed, or what the group needs did: bring stream, polls and state in line. */
  changed(): void;
  /** Follower: a batch the leader forwards (or only its position, `id`). */
  batch(batch: Batch): void;
  /** The group was refused (401/403: every tab stops), or is no longer (undefined). */
  fatal(error: JobStatusError | undefined): void;
  /** Leader: a follower came back into view or online: try again at once. */
  wake(): void;
  /** Leader: the connection to report. */
  status(): GroupStatus;
}

/** A JobStatusError as plain data, to cross BroadcastChannel. */
type PackedError = [JobStatusError['type'], string, number | null, string | null];
const pack = (e: JobStatusError | null | undefined): PackedError | null => (e ? [e.type, e.message, e.status, e.code] : null);
const unpack = (p: PackedError | null) => (p ? new JobStatusError(...p) : null);

/**
 * One stream per browser: the tabs of one origin and base URL elect a leader
 * ({@link joinTabGroup}); each follower tells the group what it watches and whether it
 * is visible; the leader fetches for the union, forwards every batch, and reports its
 * connection, which followers mirror. A 401/403 anywhere stops every tab. Returns
 * undefined where the browser cannot share (no Web Locks or BroadcastChannel).
 */
export function shareTabs(base: string, clock: JobStatusClock, on: SharingHooks) {
  const tab = Math.random().toString(36).slice(2);
  /** The other tabs: what each wants and whether it is visible. Every tab keeps it, so a new leader knows at once. */
  const followers = new Map<string, [Wants, boolean]>();
  let mirror: GroupStatus | undefined;
  /** What this follower last told the group; '' makes the next word wake the leader. */
  let said = '';
  let leaving = false;

  const group = joinTabGroup(base, clock, {
    role(leading) {
      mirror = undefined;
      said = '';
      if (leading) group!.send({ lead: 1 });
      on.changed();
    },
    message(data) {
      if (data.tab) {
        if (data.wants) followers.set(data.tab, [data.wants, data.visible]);
        else followers.delete(data.tab);
        if (!group!.leading) return;
        if (data.wake) on.wake();
        on.changed();
        return report();
      }
      if (data.fatal) on.fatal(unpack(data.fatal)!);
      if (!group!.leading) {
        group!.heard();
        if (data.lead) said = '';
        if (data.batch) on.batch(data.batch);
        if (data.status) {
          const [state, error, stale, at, id] = data.status;
          mirror = [state, unpack(error), stale, at, id];
          on.batch({ id });
          if (!error) on.fatal(undefined);
        }
      }
      on.changed();
    },
    beat: report,
  });
  if (!group) return;

  function report() {
    const [state, error, ...rest] = on.status();
    group!.send({ status: [state, pack(error), ...rest] });
  }

  /** A follower that leaves says so, so the leader stops fetching for it. */
  const bye = () => group.leading === false && group.send({ tab });
  addEventListener('pagehide', () => {
    leaving = true;
    bye();
  });
  addEventListener('pageshow', () => {
    leaving = false;
    said = '';
    on.changed();
  });

  return {
    /** Undefined while the election runs, then whether this tab leads. */
    get leading() {
      return group.leading;
    },
    /** The group's connection, as the leader last reported it (followers). */
    get mirror() {
      return mirror;
    },
    /** A follower that needs the stream is visible (leader). */
    get seen() {
      return [...followers.values()].some((f) => f[1]);
    },
    /** Adds what every follower wants to `all` (leader). */
    union(all: Wants) {
      for (const [w] of followers.values()) {
        all.ids.push(...w.ids);
        all.scopes.push(...w.scopes);
        all.filters.push(...w.filters);
        for (const id in w.logs) all.logs[id] = Math.min(all.logs[id] ?? Infinity, w.logs[id]!);
      }
    },
    /** Forwards a batch to every other tab (leader). */
    publish(batch: Batch) {
      if (group.leading) group.send({ batch });
    },
    /** This tab was refused: every tab stops. */
    fail(error: JobStatusError) {
      group.send({ fatal: pack(error) });
    },
    /** This tab came back into view or online: its next word wakes the leader. */
    resume() {
      said = '';
    },
    /**
     * After each re-plan: a follower tells the group what it watches (when that changed);
     * a leader reports a changed connection, and beats while it has followers.
     */
    update(mine: Wants, work: boolean, hidden: boolean, changed: boolean) {
      group.active = group.leading ? followers.size > 0 : work && !hidden;
      if (group.leading) return changed && report();
      if (group.leading === undefined || leaving) return;
      const now = JSON.stringify([mine, !hidden]);
      if (now !== said) group.send({ tab, wants: work ? mine : null, visible: !hidden, wake: !said });
      said = now;
    },
    close() {
      bye();
      group.close();
    },
  };
}

export type TabSharing = NonNullable<ReturnType<typeof shareTabs>>;
