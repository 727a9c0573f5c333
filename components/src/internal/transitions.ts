import { isTerminalState } from '@job-status/protocol';
import type { JobSnapshot, TerminalJobState } from '@job-status/protocol';
import type { TileState } from '../controllers/job-controller.js';
import { JobStatusChangeEvent, JobStatusSettledEvent } from '../elements/events.js';

/**
 * Tells a real transition (the job moved on, or another job took its place) from a first
 * load or a subject the page changed (which pass through "nothing shown" first), and
 * makes the events and the announcement for it.
 */
export class Transitions {
  #state: TileState | null = null;
  #job: string | undefined;

  /**
   * Takes the state now shown. Returns the events to fire for it (none on first load),
   * or null when nothing changed.
   */
  next(state: TileState | null, snapshot: JobSnapshot | null): Event[] | null {
    const previous = this.#state;
    const job = snapshot?.job_id;
    if (state === previous && job === this.#job) return null;
    this.#state = state;
    this.#job = job;
    if (previous === null || state === null) return [];
    const events: Event[] = [new JobStatusChangeEvent(state, previous, snapshot)];
    if (snapshot && isTerminalState(snapshot.state)) {
      events.push(new JobStatusSettledEvent(snapshot as JobSnapshot & { state: TerminalJobState }));
    }
    return events;
  }
}
