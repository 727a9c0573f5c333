import { ScriptedClient } from './scripted-client.js';
import type { ScriptedClientOptions } from './scripted-client.js';

/** Builds the client of a story; set as the story's `scenario` parameter. */
export type Scenario = () => ScriptedClientOptions;

/** The clients of each story, by variant. */
const clients = new Map<string, Map<string, ScriptedClient>>();

/**
 * The client of the story `storyId`, made from its scenario on first render and kept
 * across re-renders (a control change keeps the job where it is), until
 * {@link closeStoryClients} ends it. A story whose args change the scenario itself
 * names a `variant` per scenario, and gets a fresh client for each.
 */
export function storyClient(storyId: string, scenario: Scenario = () => ({}), variant = ''): ScriptedClient {
  let variants = clients.get(storyId);
  if (!variants) clients.set(storyId, (variants = new Map()));
  let client = variants.get(variant);
  if (!client) variants.set(variant, (client = new ScriptedClient(scenario())));
  return client;
}

/** Stops the timers of a story's clients when the story is torn down (`beforeEach` cleanup). */
export function closeStoryClients(storyId: string): void {
  for (const client of clients.get(storyId)?.values() ?? []) client.close();
  clients.delete(storyId);
}
