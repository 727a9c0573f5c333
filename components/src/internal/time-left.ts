import type { JobSnapshot } from '@job-status/protocol';

/** The job's own pace counts only once it has done this share of the work (10 %). */
export const MIN_FRACTION = 0.1;
/** ...and has been running at least this long when it reported that share, in milliseconds. */
export const MIN_MEASURED_MS = 2000;

/** How far the job has got, 0..1, or null when it reported no measurable progress. */
function fractionOf(job: JobSnapshot): number | null {
  const progress = job.progress;
  if (!progress) return null;
  if (progress.percent !== null) return Math.min(1, Math.max(0, progress.percent / 100));
  if (progress.current !== null && progress.total) return Math.min(1, Math.max(0, progress.current / progress.total));
  return null;
}

/**
 * Milliseconds a running job probably still needs at `now`, or null when there is not
 * enough to go on. No estimate is better than a wrong one.
 *
 * Two sources, blended by how far the job has got:
 * - its own pace: the time it took to reach its last reported share, scaled to the whole
 *   (only from {@link MIN_FRACTION} done, measured over at least {@link MIN_MEASURED_MS});
 * - its history: `typical_duration_ms`, the median of the newest successful runs of the same
 *   kind and target, which the server sends once at least three of them are known.
 *
 * Early on the history weighs most; as the job nears the end its own pace takes over.
 * The estimate counts down with `now`, and is null (never negative) once the time is up:
 * a job that stalled or runs longer than usual shows no estimate rather than a frozen one.
 *
 * @param now the client's clock, in milliseconds since the epoch
 */
export function timeLeft(job: JobSnapshot, now: number): number | null {
  if (job.state !== 'running' || !job.started_at) return null;
  const started = Date.parse(job.started_at);
  const fraction = fractionOf(job);
  const measured = Date.parse(job.updated_at) - started;
  const pace =
    fraction !== null && fraction >= MIN_FRACTION && measured >= MIN_MEASURED_MS ? measured / fraction : null;
  // A run already slower than the usual total says the history does not fit it.
  const typical = typeof job.typical_duration_ms === 'number' && !(pace !== null && measured > job.typical_duration_ms) ? job.typical_duration_ms : null;
  let total: number | null;
  if (pace !== null && typical !== null) total = fraction! * pace + (1 - fraction!) * typical;
  else total = pace ?? typical;
  if (total === null || !Number.isFinite(total)) return null;
  const left = total - (now - started);
  return left >= 1000 ? left : null;
}
