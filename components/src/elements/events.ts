import type { JobSnapshot, TerminalJobState } from '@job-status/protocol';
import type { TileState } from '../controllers/job-controller.js';

/**
 * Fired by `<job-status>` and `<job-detail>` when the state they show changes: the job
 * moved on, a new job of the followed kind and target appeared, or it was deleted. Not
 * fired for the first state shown after load, nor when the page itself changes
 * `job-id`, `kind` or `target`. Bubbles and crosses shadow roots.
 *
 * @example
 * tile.addEventListener('job-status-change', (e) => console.log(e.previousState, '→', e.state));
 */
export class JobStatusChangeEvent extends Event {
  static readonly eventName = 'job-status-change';
  /** The state now shown. */
  readonly state: TileState;
  /** The state shown before. */
  readonly previousState: TileState;
  /** The job now shown; null for `idle`, `gone` and `unavailable`. */
  readonly snapshot: JobSnapshot | null;

  constructor(state: TileState, previousState: TileState, snapshot: JobSnapshot | null) {
    super(JobStatusChangeEvent.eventName, { bubbles: true, composed: true });
    this.state = state;
    this.previousState = previousState;
    this.snapshot = snapshot;
  }
}

/**
 * Fired by `<job-status>` and `<job-detail>` when the job they follow reaches a terminal
 * state (`success`, `warning`, `failed`, `canceled`) while they watch. A refused enqueue
 * also settles, as `failed`, with a snapshot whose `job_id` is the empty string.
 * Bubbles and crosses shadow roots.
 *
 * @example
 * tile.addEventListener('job-status-settled', (e) => { if (e.state === 'success') reloadTable(); });
 */
export class JobStatusSettledEvent extends Event {
  static readonly eventName = 'job-status-settled';
  /** The terminal state. */
  readonly state: TerminalJobState;
  /** The job as it ended. */
  readonly snapshot: JobSnapshot;

  constructor(snapshot: JobSnapshot & { state: TerminalJobState }) {
    super(JobStatusSettledEvent.eventName, { bubbles: true, composed: true });
    this.state = snapshot.state;
    this.snapshot = snapshot;
  }
}

declare global {
  interface HTMLElementEventMap {
    'job-status-change': JobStatusChangeEvent;
    'job-status-settled': JobStatusSettledEvent;
  }
  // They bubble out of shadow roots up to the document, where a page may listen once.
  interface DocumentEventMap {
    'job-status-change': JobStatusChangeEvent;
    'job-status-settled': JobStatusSettledEvent;
  }
}
