import { toJSONSchema } from 'zod';
import type { StandardSchema } from '../registry/definition.js';

/** JSON Schema of a kind's input for the catalogue; null when it has none or it cannot be expressed. */
export function jsonSchemaOf(schema: StandardSchema | undefined): unknown {
  if (!schema || !('_zod' in schema)) return null;
  try {
    return toJSONSchema(schema as never, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null;
  }
}
