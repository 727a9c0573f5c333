/** A new event-log epoch: short, random, and valid inside an event id (`[A-Za-z0-9_]`). */
export function newEpoch(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 12);
}
