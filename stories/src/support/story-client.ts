import { createJobStatusClient } from '@job-status/elements/client';
import type { JobStatusClient } from '@job-status/elements/client';
import { BASE_PATH, ScriptedServer } from './scripted-server.js';
import type { ScriptedServerOptions } from './scripted-server.js';
import { StoryClock } from './story-clock.js';

/** What a story shows: its server's history and scripts, and how the client reaches that server. */
export interface ScenarioOptions extends Omit<ScriptedServerOptions, 'refuseStream'> {
  /**
   * How the client is connected. `live` (default): the stream works. `polling`: the
   * server refuses every stream (a proxy that blocks it), so the client polls.
   * `offline`: the client was closed (`close()`): it says `offline`; requests still work.
   */
  connection?: 'live' | 'polling' | 'offline';
  /**
   * After its first answers the server becomes unreachable: the stream drops and every
   * request fails, so the client retries, polls, fails and backs off, and what it shows
   * is stale. The client gets there on a clock that starts at `lastUpdateAt` and catches
   * up with the page's time at once.
   */
  stale?: boolean;
  /** With `stale`: when (ms since the epoch) the client last heard from the server. Default: now. */
  lastUpdateAt?: number;
}

/** Builds the server of a story; set as the story's `scenario` parameter. */
export type Scenario = () => ScenarioOptions;

/** A story's real client, the scripted server it talks to, and that client's clock. */
class StoryConnection {
  readonly server: ScriptedServer;
  readonly clock: StoryClock;
  readonly client: JobStatusClient;
  /** True until a `stale` scenario's client has caught up with the page's time. */
  #catchingUp = false;
  #closed = false;

  constructor({ connection = 'live', stale = false, lastUpdateAt, ...options }: ScenarioOptions) {
    this.server = new ScriptedServer({ ...options, refuseStream: connection === 'polling' });
    this.clock = new StoryClock(stale ? lastUpdateAt : undefined);
    this.client = createJobStatusClient({
      baseUrl: BASE_PATH,
      fetch: this.server.fetch,
      EventSource: this.server.EventSource,
      clock: this.clock,
      // One client per story: stories in one docs page must not share a stream.
      shareAcrossTabs: false,
    });
    if (connection === 'offline') this.client.close();
    if (stale) void this.#goStale();
  }

  /** Nothing on its way: every answer has landed, and the client plans nothing "at once". */
  get quiet(): boolean {
    return this.server.quiet && !this.clock.soon;
  }

  /** Quiet, and done catching up: what the story shows will not change until a script moves on. */
  get settled(): boolean {
    return this.#closed || (this.quiet && !this.#catchingUp);
  }

  close() {
    this.#closed = true;
    this.client.close();
    this.server.close();
  }

  async #goStale() {
    this.#catchingUp = true;
    await this.#until(() => this.server.answered > 0 && this.quiet);
    this.server.goDown();
    await this.clock.catchUp(() => this.#until(() => this.quiet));
    this.#catchingUp = false;
  }

  /**
   * Resolves once `ready()` holds, and still holds after the next animation frame (the
   * client delivers on it, and elements may ask for more then); or when closed.
   */
  async #until(ready: () => boolean) {
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    while (!this.#closed && !(ready() && (await frame(), ready()))) await frame();
  }
}

/** The connections of each story, by variant. */
const stories = new Map<string, Map<string, StoryConnection>>();

/**
 * The client of the story `storyId`: the real client (`createJobStatusClient`) talking to
 * a {@link ScriptedServer} made from the story's scenario, made on first render and kept
 * across re-renders (a control change keeps the job where it is), until
 * {@link closeStoryClients} ends it. A story whose args change the scenario itself names
 * a `variant` per scenario, and gets a fresh client and server for each.
 */
export function storyClient(storyId: string, scenario: Scenario = () => ({}), variant = ''): JobStatusClient {
  let variants = stories.get(storyId);
  if (!variants) stories.set(storyId, (variants = new Map()));
  let connection = variants.get(variant);
  if (!connection) variants.set(variant, (connection = new StoryConnection(scenario())));
  return connection.client;
}

/** Closes a story's clients and stops their servers when the story is torn down (`beforeEach` cleanup). */
export function closeStoryClients(storyId: string): void {
  for (const connection of stories.get(storyId)?.values() ?? []) connection.close();
  stories.delete(storyId);
}

declare global {
  /**
   * True when every story client on the page has settled: all answers landed, nothing
   * planned "at once", a stale scenario caught up. The story test waits on it.
   */
  var __jobStatusStoriesSettled: (() => boolean) | undefined;
}
globalThis.__jobStatusStoriesSettled = () => [...stories.values()].every((variants) => [...variants.values()].every((c) => c.settled));
