import type { JobStore } from '../stores/store.js';
import type { JobStatusTelemetry } from './telemetry.js';

/** The store methods that write; reads pass through unmeasured. */
const WRITES = new Set<string | symbol>(['save', 'appendLog', 'prune', 'beat', 'release', 'claim']);

/**
 * The store with its writes timed and their failures counted. A proxy rather than a
 * class, so whatever a store adds (or the interface gains) still reaches the store itself.
 */
export function measuredStore(store: JobStore, telemetry: JobStatusTelemetry): JobStore {
  const timed = new Map<string | symbol, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let bound = timed.get(property);
      if (!bound) {
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        const operation = String(property);
        bound = WRITES.has(property)
          ? async (...args: unknown[]) => {
              const start = performance.now();
              try {
                const result = await method(...args);
                telemetry.storeWrite(operation, (performance.now() - start) / 1000, null);
                return result;
              } catch (error) {
                telemetry.storeWrite(operation, (performance.now() - start) / 1000, error);
                throw error;
              }
            }
          : method;
        timed.set(property, bound);
      }
      return bound;
    },
  });
}
