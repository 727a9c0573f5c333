/**
 * Every timing rule of the client in one place, in milliseconds. See docs/client.md
 * ("Fallback and backoff") for the reasoning.
 */

/** Polling interval bounds and default. */
export const MIN_INTERVAL = 2e3;
export const MAX_INTERVAL = 6e4;
export const DEFAULT_INTERVAL = 3e3;

/** How long the page must stay hidden before the client pauses (the contract says within 2 s). */
export const HIDDEN_PAUSE = 1e3;

/** Watches made within this window share one re-plan, so 50 tiles open one stream. */
export const DEBOUNCE = 10;

/** The heartbeat interval assumed until the stream announces its own. */
export const DEFAULT_HEARTBEAT = 15e3;

/** Out-of-range and missing intervals clamp to 2–60 s; default 3 s. */
export const clampInterval = (ms: number | undefined) =>
  Math.min(MAX_INTERVAL, Math.max(MIN_INTERVAL, ms || DEFAULT_INTERVAL));

/** After the 3rd consecutive failed poll: 10 s, doubling, at most 2 min; before it, 0. */
export const backoff = (failures: number) =>
  failures > 2 ? Math.min(1e4 * 2 ** (failures - 3), 12e4) : 0;

/** The stream is retried in the background after 2 s, doubling, at most 2 min. */
export const streamRetry = (failures: number) => Math.min(1e3 * 2 ** failures, 12e4);

/** `Retry-After` (seconds or an HTTP date) in ms from `now`; 0 when absent or unreadable. */
export const retryAfter = (header: string | null, now: number) =>
  header ? Number(header) * 1e3 || Date.parse(header) - now || 0 : 0;
