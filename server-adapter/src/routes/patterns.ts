/**
 * The shapes of the contract's inputs, as plain constants: `validate.ts` checks requests
 * with them directly, and `schemas.ts` builds the contract's zod schemas (for the OpenAPI
 * document) from the same ones, so the checks and the document cannot say different
 * things. Kept apart from the schemas so that serving requests never loads zod.
 */

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Longest kind or target name. */
export const NAME_MAX = 200;
/** A kind or target name holds no control character. */
export const NAME_PATTERN = /^[^\u0000-\u001f\u007f]*$/;
