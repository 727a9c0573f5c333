import { JobFailure } from '@job-status/hono';
import type { JobContext } from '@job-status/hono';
import type { BullmqKind, WorkerKind } from '@job-status/hono/bullmq';

/** The BullMQ queue the demo's instances put worker jobs on, and its worker takes them from. */
export const DEMO_QUEUE = 'job-status-demo';

/** What the app instances need to enqueue a report: the kind, as `bullmqSource` takes it. */
export const REPORT_KINDS: Record<string, BullmqKind> = {
  'report.build': {
    label: 'Build the monthly sync report',
    timeoutMs: 10 * 60_000,
    // A failed build is tried again twice, 3 s and then 6 s later.
    jobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 3000 } },
  },
};

const SECTIONS = ['Peers', 'Pushes', 'Pulls', 'Failures', 'Summary'];

function pause(ctx: JobContext, ms: number) {
  return new Promise<void>((resolve, reject) => {
    if (ctx.signal.aborted) return reject(ctx.signal.reason);
    const timer = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
  });
}

/**
 * What the worker process runs: a report built section by section. One build in four
 * loses its connection to the archive on the first attempt, so the demo shows a BullMQ
 * retry the way an admin sees it.
 */
export function reportHandlers(options: { delayScale: number }): Record<string, WorkerKind> {
  return {
    'report.build': {
      run: async (ctx) => {
        ctx.phase('Opening the archive');
        await pause(ctx, 600 * options.delayScale);
        if (Math.random() < 0.25) {
          throw new JobFailure('The archive did not answer in time.', { code: 'archive_timeout', hint: 'Nothing to do: BullMQ retries it. If every attempt fails, check that the archive is reachable.' });
        }
        for (const [index, section] of SECTIONS.entries()) {
          ctx.phase(`Writing "${section}"`);
          ctx.progress({ current: index + 1, total: SECTIONS.length, unit: 'sections' });
          ctx.log('info', `Wrote the ${section} section`);
          await pause(ctx, 900 * options.delayScale);
        }
        return { message: `The report has ${SECTIONS.length} sections.`, result: { sections: SECTIONS.length } };
      },
    },
  };
}
