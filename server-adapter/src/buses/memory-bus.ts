import type { BusMessage, JobBus } from './bus.js';

/**
 * The bus of a single process: delivers every message synchronously to this process's
 * listeners. The default.
 */
export function memoryBus(): JobBus {
  const listeners = new Set<(message: BusMessage) => void>();
  return {
    connected: true,
    publish(message) {
      for (const listener of listeners) listener(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
