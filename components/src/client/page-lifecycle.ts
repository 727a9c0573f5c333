import { HIDDEN_PAUSE } from './delays.js';
import type { JobStatusClock } from './types.js';

/**
 * Follows the page: `pause('hidden')` once it has been hidden for {@link HIDDEN_PAUSE}
 * ms (a quick tab switch keeps the connection) or at once on `pagehide`;
 * `pause('offline')` when the browser goes offline; `resume()` when it is visible,
 * shown or online again. Returns the function that removes every listener and timer.
 */
export function observePage(
  clock: JobStatusClock,
  pause: (why: 'hidden' | 'offline') => void,
  resume: () => void,
): () => void {
  const controller = new AbortController();
  const options = { signal: controller.signal };
  const doc = globalThis.document;
  const win = globalThis.window;
  let timer: unknown;
  const cancel = () => clock.clearTimeout(timer);
  const back = () => {
    cancel();
    resume();
  };
  const hide = () => pause('hidden');
  doc?.addEventListener(
    'visibilitychange',
    () => (doc.hidden ? (timer = clock.setTimeout(hide, HIDDEN_PAUSE)) : back()),
    options,
  );
  win?.addEventListener('pagehide', hide, options);
  win?.addEventListener('pageshow', back, options);
  win?.addEventListener('online', back, options);
  win?.addEventListener('offline', () => pause('offline'), options);
  return () => {
    cancel();
    controller.abort();
  };
}
