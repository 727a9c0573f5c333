import { z } from 'zod';
import { JOB_STATES, LIST_SORTS, LOG_LEVELS } from '@job-status/protocol';
import { NAME_MAX, NAME_PATTERN, UUID_PATTERN } from './patterns.js';

/**
 * The wire contract as schemas: what `GET /openapi.json` and `docs/openapi.json` are
 * generated from. They are built from the constants `validate.ts` checks requests with
 * (`patterns.ts`), so the document and the checks cannot say different things; this module
 * (and zod) is loaded only when the document is asked for.
 */

export { NAME_MAX, NAME_PATTERN, UUID_PATTERN };

export const JobIdSchema = z.string().regex(UUID_PATTERN).meta({ description: 'A job id (UUID v4).', example: '3f2a1c9e-8b7d-4e6f-9a0b-1c2d3e4f5a6b' });

export const NameSchema = z
  .string()
  .min(1)
  .max(NAME_MAX)
  .regex(NAME_PATTERN)
  .meta({ description: 'Text of 1 to 200 printable characters.' });

export const JobStateSchema = z.enum(JOB_STATES as [string, ...string[]]);
export const ListSortSchema = z.enum(LIST_SORTS);

export const CreateJobBodySchema = z
  .object({
    kind: NameSchema.meta({ description: 'A defined kind (see `GET /kinds`).', example: 'sync.push' }),
    target: NameSchema.nullable().optional().meta({ description: 'What the job acts on; tiles match jobs by kind and target.', example: 'peer-a' }),
    input: z.unknown().optional().meta({ description: "The kind's input; its schema is listed by `GET /kinds`." }),
  })
  .meta({ id: 'CreateJobBody' });

const TimeSchema = z.string().meta({ description: 'ISO 8601, UTC, with milliseconds.', example: '2026-12-02T12:00:00.000Z' });

export const JobProgressSchema = z
  .object({
    percent: z.number().min(0).max(100).nullable(),
    current: z.number().nullable(),
    total: z.number().nullable(),
    unit: z.string().nullable(),
  })
  .meta({ id: 'JobProgress' });

export const JobErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    hint: z.string().nullable().meta({ description: 'What the admin can do next.' }),
  })
  .meta({ id: 'JobError' });

export const JobSnapshotSchema = z
  .object({
    job_id: JobIdSchema,
    kind: z.string(),
    target: z.string().nullable(),
    label: z.string(),
    state: JobStateSchema,
    phase: z.string().nullable(),
    progress: JobProgressSchema.nullable(),
    message: z.string().nullable(),
    error: JobErrorSchema.nullable(),
    created_at: TimeSchema,
    started_at: TimeSchema.nullable(),
    finished_at: TimeSchema.nullable(),
    updated_at: TimeSchema,
    seq: z.number().int().min(0).meta({ description: "The job's last event number (grows across the whole registry)." }),
    has_logs: z.boolean(),
    actor: z.string().nullable(),
    result: z.unknown().optional().meta({ description: "What a successful handler returned as `result`." }),
  })
  .meta({ id: 'JobSnapshot' });

export const EnqueueResponseSchema = z.object({ job_id: JobIdSchema, initial_status: JobSnapshotSchema }).meta({ id: 'EnqueueResponse' });

export const JobListResponseSchema = z
  .object({
    jobs: z.array(JobSnapshotSchema),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last one.' }),
  })
  .meta({ id: 'JobListResponse' });

export const JobLogLineSchema = z
  .object({ seq: z.number().int().min(1), ts: TimeSchema, level: z.enum(LOG_LEVELS as [string, ...string[]]), message: z.string() })
  .meta({ id: 'JobLogLine' });

export const JobLogsResponseSchema = z
  .object({ lines: z.array(JobLogLineSchema), next_after: z.number().int().min(0).meta({ description: 'Pass as `after` for the next page.' }) })
  .meta({ id: 'JobLogsResponse' });

export const JobKindsResponseSchema = z
  .object({
    kinds: z.array(
      z.object({
        kind: z.string(),
        label: z.string(),
        input: z.unknown().meta({ description: "JSON Schema of the kind's input, or null when it has none." }),
      }),
    ),
  })
  .meta({ id: 'JobKindsResponse' });

export const ErrorBodySchema = z
  .object({ error: z.object({ code: z.string().meta({ example: 'invalid_kind' }), message: z.string().meta({ description: 'Names the field at fault.' }) }) })
  .meta({ id: 'ErrorBody' });

export const HealthSchema = z
  .object({
    ready: z.boolean(),
    store: z.enum(['ok', 'opening', 'unavailable']),
    bus: z.enum(['connected', 'disconnected']),
    queued: z.number().int().min(0),
    running: z.number().int().min(0),
    streams: z.number().int().min(0),
  })
  .meta({ id: 'Health' });

/** Any schema of the contract, as `contract.ts` hands it to the OpenAPI resolver. */
export type ContractSchema = z.ZodType;
