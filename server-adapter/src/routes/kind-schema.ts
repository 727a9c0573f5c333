import type { StandardSchema } from '../registry/definition.js';

/**
 * JSON Schema of a kind's input for the catalogue; null when it has none or it cannot be
 * expressed. zod is loaded only for a zod schema, the first time one is asked for.
 */
export async function jsonSchemaOf(schema: StandardSchema | undefined): Promise<unknown> {
  if (!schema || !('_zod' in schema)) return null;
  const { toJSONSchema } = await import('zod');
  try {
    return toJSONSchema(schema as never, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null;
  }
}
