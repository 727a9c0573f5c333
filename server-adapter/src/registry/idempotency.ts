import { JobStatusError } from '../errors.js';
import type { JobStore, StoredJob } from '../stores/store.js';
import { canonicalJson } from './input.js';

/** What an enqueue asked for: compared when a key comes back. */
export interface EnqueueRequest {
  kind: string;
  target: string | null;
  /** The validated input. */
  input: unknown;
}

/**
 * Enqueues that carry an idempotency key, the way payment APIs treat them: the same key
 * with the same request returns the job the first one made (also when both arrive at
 * once, or on two instances at once); the same key with another kind, target or input
 * is a client bug, answered 422 `idempotency_key_reused` instead of silently returning
 * the first job.
 */
export class IdempotentEnqueues {
  readonly #store: JobStore;
  readonly #pending = new Map<string, Promise<StoredJob>>();

  constructor(store: JobStore) {
    this.#store = store;
  }

  /** The job of `key`: the one made before, or the one `create` makes now. */
  async enqueue(key: string, request: EnqueueRequest, create: () => Promise<StoredJob>): Promise<StoredJob> {
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#findOrCreate(key, create);
      this.#pending.set(key, pending);
      const forget = () => this.#pending.delete(key);
      pending.then(forget, forget);
    }
    const job = await pending;
    const differs =
      job.kind !== request.kind ? 'kind'
      : job.target !== request.target ? 'target'
      : canonicalJson(job.input ?? null) !== canonicalJson(request.input ?? null) ? 'input'
      : null;
    if (differs) {
      throw new JobStatusError(422, 'idempotency_key_reused', `Idempotency-Key: already used for a request with another ${differs}; use a new key for a different request`);
    }
    return job;
  }

  async #findOrCreate(key: string, create: () => Promise<StoredJob>) {
    const existing = await this.#store.findByIdempotencyKey(key);
    if (existing) return existing;
    try {
      return await create();
    } catch (error) {
      // Another instance made the job with this key at the same moment: answer with it.
      const made = error instanceof JobStatusError ? null : await this.#store.findByIdempotencyKey(key);
      if (made) return made;
      throw error;
    }
  }
}
