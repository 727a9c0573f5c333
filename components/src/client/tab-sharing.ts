import type { JobLogLine, JobSnapshot } from '@job-status/protocol';
import { JobStatusError } from './job-status-error.js';
import type { Wants } from './subjects.js';
import type { ConnectionState, JobStatusClock } from './types.js';

/** How often a leader with followers says it is alive, in ms. */
export const LEADER_BEAT = 200;
/** How long a visible follower with work waits for the leader before it takes over, in ms. */
export const LEADER_SILENCE = 700;

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
  /**
   * Leader: a follower started to watch something, or came back into view or online:
   * fetch what the group watches at once.
   */
  wake(): void;
  /** Leader: the connection to report. */
  status(): GroupStatus;
}

/** A JobStatusError as plain data, to cross BroadcastChannel. */
type PackedError = [JobStatusError['type'], string, number | null, string | null];
const pack = (e: JobStatusError | null | undefined): PackedError | null => (e ? [e.type, e.message, e.status, e.code] : null);
const unpack = (p: PackedError | null) => (p ? new JobStatusError(...p) : null);

/**
 * One stream per browser. The tabs of one origin and base URL elect a leader with a Web
 * Lock, held for the leader's life, so when it closes or crashes the lock passes to a
 * waiting tab at once; a leader that is frozen (silent for {@link LEADER_SILENCE} ms
 * while a follower needs it) has the lock stolen. Each follower tells the group what it
 * watches and whether it is visible; the leader fetches for the union, forwards every
 * batch, and reports its connection, which followers mirror. A 401/403 anywhere stops
 * every tab. Returns undefined where the browser cannot share (no Web Locks or
 * BroadcastChannel): the tab works alone.
 */
export function shareTabs(base: string, clock: JobStatusClock, on: SharingHooks) {
  const locks = globalThis.navigator?.locks;
  if (!locks || typeof BroadcastChannel !== 'function') return;
  const key = `job-status ${new URL(base, location.href)}`;
  const channel = new BroadcastChannel(key);
  /** This tab, among the group's (a number, never 0, crosses BroadcastChannel as it is). */
  const tab = Math.random() + 1;
  /** The other tabs: what each wants and whether it is visible. Every tab keeps it, so a new leader knows at once. */
  const followers = new Map<number, [Wants, boolean]>();
  /** Undefined until the election answered, then whether this tab leads. */
  let leading: boolean | undefined;
  /** Leader: beat while followers listen. Follower: watch the leader's beat and take over when it stops. */
  let active = false;
  let mirror: GroupStatus | undefined;
  /** What this follower last told the group; '' makes the next word wake the leader. */
  let said = '';
  let leaving = false;
  let closed = false;
  let release: (() => void) | undefined;
  let waiting: AbortController | undefined;
  let claims = 0;
  let timer: unknown;

  const send = (message: unknown) => !closed && channel.postMessage(message);

  /** Asks for the lead: `ifAvailable` answers at once, `steal` takes it, no options wait in line. */
  function claim(how?: LockOptions) {
    const mine = ++claims;
    waiting?.abort();
    waiting = how ? undefined : new AbortController();
    locks!
      .request(key, how ?? { signal: waiting!.signal }, (lock) => {
        if (closed) return;
        if (!lock) return follow();
        role(true);
        return new Promise<void>((resolve) => (release = resolve));
      })
      // Stolen by a tab that found us silent, or our wait was aborted: follow and queue again.
      .catch(() => mine === claims && !closed && follow());
  }

  function follow() {
    release = undefined;
    role(false);
    claim();
  }

  /** This tab leads or follows: the first call decides, later ones are hand-overs. */
  function role(lead: boolean) {
    leading = lead;
    mirror = undefined;
    said = '';
    if (lead) send({ lead: 1 });
    on.changed();
    arm();
  }

  function arm() {
    clock.clearTimeout(timer);
    timer = undefined;
    if (!active || closed || leading === undefined) return;
    const lead = leading;
    // Followers wait a little differently, so one of them steals first.
    const ms = lead ? LEADER_BEAT : LEADER_SILENCE + Math.random() * 150;
    const due = clock.now() + ms;
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (lead) report();
      // A timer that fires late means this tab was busy itself: the leader's beats may
      // be waiting in the queue behind it, so that is no proof of a silent leader.
      else if (clock.now() - due < LEADER_BEAT) claim({ steal: true });
      arm();
    }, ms);
  }

  function report() {
    const [state, error, ...rest] = on.status();
    send({ status: [state, pack(error), ...rest] });
  }

  channel.onmessage = ({ data }) => {
    if (data.tab) {
      // A tab that starts to watch something hears batches from now on; what it missed, a fetch catches up.
      const joined = data.wants && !followers.has(data.tab);
      if (data.wants) followers.set(data.tab, [data.wants, data.visible]);
      else followers.delete(data.tab);
      if (!leading) return;
      if (data.wake || joined) on.wake();
      on.changed();
      return report();
    }
    if (data.fatal) on.fatal(unpack(data.fatal)!);
    if (!leading) {
      // The leader spoke: the wait for its next word starts again.
      if (leading === false) arm();
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
  };
  claim({ ifAvailable: true });

  /** A follower that leaves says so, so the leader stops fetching for it. */
  const bye = () => leading === false && send({ tab });
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
      return leading;
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
        for (const list of ['ids', 'scopes', 'filters'] as const) (all[list] as unknown[]).push(...w[list]);
        for (const id in w.logs) all.logs[id] = Math.min(all.logs[id] ?? Infinity, w.logs[id]!);
      }
    },
    /** Forwards a batch to the other tabs (leader), while any of them watches something. */
    publish(batch: Batch) {
      if (leading && followers.size) send({ batch });
    },
    /** This tab was refused: every tab stops. */
    fail(error: JobStatusError) {
      send({ fatal: pack(error) });
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
      const now = leading ? followers.size > 0 : work && !hidden;
      if (now !== active) {
        active = now;
        arm();
      }
      if (leading) return changed && report();
      if (leading === undefined || leaving) return;
      const words = JSON.stringify([mine, !hidden]);
      if (words !== said) send({ tab, wants: work ? mine : null, visible: !hidden, wake: !said });
      said = words;
    },
    close() {
      bye();
      closed = true;
      clock.clearTimeout(timer);
      waiting?.abort();
      release?.();
      channel.close();
    },
  };
}

export type TabSharing = NonNullable<ReturnType<typeof shareTabs>>;
