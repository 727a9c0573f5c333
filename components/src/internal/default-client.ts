import { createJobStatusClient } from '../client/create-client.js';
import type { JobStatusClient } from '../client/types.js';

const clients = new Map<string, JobStatusClient>();

/**
 * The client shared by every element on the page that names this `base-url` and has no
 * provider, so twenty tiles still hold one connection. It is never closed: a client
 * with nothing watched holds no stream and no timer.
 */
export function defaultClient(baseUrl: string): JobStatusClient {
  const key = baseUrl.replace(/\/+$/, '');
  let client = clients.get(key);
  if (!client) clients.set(key, (client = createJobStatusClient({ baseUrl: key })));
  return client;
}
