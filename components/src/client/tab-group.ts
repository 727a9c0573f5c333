import type { JobStatusClock } from './types.js';

/** How often a leader with followers says it is alive, in ms. */
export const LEADER_BEAT = 200;
/** How long a visible follower with work waits for the leader before it takes over, in ms. */
export const LEADER_SILENCE = 700;

/** What the election tells its tab. */
export interface TabGroupEvents {
  /** This tab leads (true) or follows (false); the first call decides, later ones are hand-overs. */
  role(leading: boolean): void;
  /** A message from another tab of the group. */
  message(data: any): void;
  /** Leader only: time to say it is alive. */
  beat(): void;
}

/** One tab's membership of the group of tabs that share a base URL. */
export interface TabGroup {
  /** Undefined until the election answered, then whether this tab leads. */
  readonly leading: boolean | undefined;
  /** Leader: beat while followers listen. Follower: watch the leader's beat and take over when it stops. */
  active: boolean;
  /** Sends to every other tab of the group. */
  send(message: unknown): void;
  /** Follower: the leader spoke; restarts the wait for its next word. */
  heard(): void;
  /** Leaves the group: releases or stops waiting for the lead. */
  close(): void;
}

/**
 * Joins the group of tabs of one origin and base URL: the tabs elect a
 * leader with a Web Lock, held for the leader's life, so when it closes or crashes the
 * lock passes to a waiting tab at once; a leader that is frozen (silent for
 * {@link LEADER_SILENCE} ms while a follower needs it) has the lock stolen. Returns
 * undefined when the browser lacks Web Locks or BroadcastChannel: the tab works alone.
 */
export function joinTabGroup(base: string, clock: JobStatusClock, on: TabGroupEvents): TabGroup | undefined {
  const locks = globalThis.navigator?.locks;
  if (!locks || typeof BroadcastChannel !== 'function') return;
  const key = `job-status ${new URL(base, location.href)}`;
  const channel = new BroadcastChannel(key);
  let release: (() => void) | undefined;
  let waiting: AbortController | undefined;
  let claims = 0;
  let timer: unknown;
  let closed = false;

  /** Asks for the lead: `try` answers at once, `steal` takes it, otherwise waits in line. */
  function claim(how?: 'try' | 'steal') {
    const mine = ++claims;
    waiting?.abort();
    waiting = how ? undefined : new AbortController();
    const options: LockOptions = how === 'steal' ? { steal: true } : how ? { ifAvailable: true } : { signal: waiting!.signal };
    locks!
      .request(key, options, (lock) => {
        if (closed) return;
        if (!lock) return follow();
        group.leading = true;
        on.role(true);
        arm();
        return new Promise<void>((resolve) => (release = resolve));
      })
      // Stolen by a tab that found us silent, or our wait was aborted: follow and queue again.
      .catch(() => mine === claims && !closed && follow());
  }

  function follow() {
    release = undefined;
    group.leading = false;
    on.role(false);
    arm();
    claim();
  }

  function arm() {
    clock.clearTimeout(timer);
    timer = undefined;
    if (!group.active || closed || group.leading === undefined) return;
    const leading = group.leading;
    // Followers wait a little differently, so one of them steals first.
    const ms = leading ? LEADER_BEAT : LEADER_SILENCE + Math.random() * 150;
    const due = clock.now() + ms;
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (leading) on.beat();
      // A timer that fires late means this tab was busy itself: the leader's beats may
      // be waiting in the queue behind it, so that is no proof of a silent leader.
      else if (clock.now() - due < LEADER_BEAT) claim('steal');
      arm();
    }, ms);
  }

  const group = {
    leading: undefined as boolean | undefined,
    get active() {
      return active;
    },
    set active(value: boolean) {
      if (value === active) return;
      active = value;
      arm();
    },
    send: (message: unknown) => !closed && channel.postMessage(message),
    heard: () => group.leading === false && arm(),
    close() {
      closed = true;
      clock.clearTimeout(timer);
      waiting?.abort();
      release?.();
      channel.close();
    },
  };
  let active = false;
  channel.onmessage = (event) => on.message(event.data);
  claim('try');
  return group;
}
