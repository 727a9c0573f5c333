import type { JobLogLine, JobSnapshot } from '@job-status/protocol';

/**
 * What travels between the processes that share a store. `job` carries a change that
 * was already numbered and saved; `log` carries log lines already stored, up to line
 * `last_seq` of the job (a bus that cannot carry their text, such as a NOTIFY too large,
 * sends `lines: []` and receivers read them from the store); `cancel` asks whichever
 * process runs the job to stop.
 */
export type BusMessage =
  | { type: 'job'; snapshot: JobSnapshot }
  | { type: 'log'; job_id: string; lines: JobLogLine[]; last_seq: number }
  | { type: 'cancel'; job_id: string };

/**
 * Fan-out of job changes. Every process publishes the changes of the jobs it runs and
 * delivers every message it receives (its own included) to its own streams. A bus
 * carries no history: a stream that missed messages catches up from the store's event
 * log, which is why a bus may drop messages during an outage without losing state.
 */
export interface JobBus {
  publish(message: BusMessage): void | Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (message: BusMessage) => void): () => void;
  close(): Promise<void>;
}
