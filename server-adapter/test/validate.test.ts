import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, LIST_SORTS } from '@job-status/protocol';
import { JobIdSchema, JobStateSchema, ListSortSchema, NameSchema } from '../src/routes/schemas.js';
import { getQueryParams } from 'hono/utils/url';
import { jobId, listParam, logParams, name, queryValues, sortParam, statesParam } from '../src/routes/validate.js';

/**
 * The routes check their input with plain constants (`patterns.ts`), so that serving a
 * request never loads zod; the OpenAPI document is generated from the zod schemas built
 * from the same constants. These properties hold the two to the same answers.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 300);
const accepts = (check: () => unknown) => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};
/** Strings near every edge the schemas have: empty, 200 and 201 characters, control characters, non-ASCII, UUID-like. */
const edgy = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ minLength: 195, maxLength: 205 }),
  fc.constantFrom('', 'x'.repeat(200), 'x'.repeat(201), 'a\u0000b', 'tab\there', 'del\u007f', 'é'.repeat(200), 'né\u0085', '\u2028'),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.uuid().map((id) => `${id}x`),
  fc.constantFrom(...JOB_STATES, ...LIST_SORTS, 'Running', 'created'),
);

describe('request checks and the contract schemas', () => {
  it('a kind or target name passes name() exactly when NameSchema accepts it', () => {
    fc.assert(fc.property(fc.oneof(edgy, fc.anything()), (value) => {
      expect(accepts(() => name(value, 'kind'))).toBe(NameSchema.safeParse(value).success);
    }), { numRuns: runs });
  });

  it('a job id passes jobId() and log= exactly when JobIdSchema accepts it', () => {
    fc.assert(fc.property(edgy, (value) => {
      const valid = JobIdSchema.safeParse(value).success;
      expect(accepts(() => jobId(value, 'job'))).toBe(valid);
      expect(accepts(() => logParams([value]))).toBe(valid);
    }), { numRuns: runs });
  });

  it('a state and a sort pass exactly when their schemas accept them', () => {
    fc.assert(fc.property(edgy, (value) => {
      expect(accepts(() => statesParam([value]))).toBe(JobStateSchema.safeParse(value).success);
      expect(accepts(() => sortParam(value))).toBe(value === '' || ListSortSchema.safeParse(value).success);
    }), { numRuns: runs });
  });

  it("a poll's ids= read straight from the URL are the ids Hono's query reader gives", () => {
    // Query strings made of the characters that matter to the reader: separators, names
    // near `ids`, encoded text (then the route reads the query with Hono), fragments.
    const piece = fc.oneof(
      fc.constantFrom('ids', 'id', 'idsx', 'xids', '=', '&', ',', '%2C', '%', '+', '#', '?', ''),
      fc.uuid(),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, withQuery) => {
      const url = `http://127.0.0.1:8080/jobs${withQuery ? '?' : ''}${pieces.join('')}`;
      const hono = getQueryParams(url, 'ids') as string[] | undefined;
      const ours = queryValues(url, 'ids');
      if (ours === null) return;
      expect(ours).toEqual(hono);
      expect(listParam(ours)).toEqual(listParam(hono));
    }), { numRuns: runs * 10 });
  });
});
