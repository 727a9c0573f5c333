import { z } from 'zod';
import { JobFailure } from '@job-status/hono';
import type { JobContext, JobStatus } from '@job-status/hono';
import { peerNamed } from './peers.js';
import type { DemoSettings } from './settings.js';

export interface DemoJobOptions {
  /** Multiplies every delay; tests use a small value. */
  delayScale: number;
  /** Chance (0..1) that a push or pull fails with a network error. */
  failureRate: number;
  settings: DemoSettings;
}


/** Sleeps, but wakes early (and throws) when the job is canceled or times out. */
export function pause(ctx: JobContext, ms: number) {
  return new Promise<void>((resolve, reject) => {
    if (ctx.signal.aborted) return reject(ctx.signal.reason);
    const stop = () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    };
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    ctx.signal.addEventListener('abort', stop, { once: true });
  });
}

/** Moves a peer's records in batches, reporting "N of M files" as it goes. */
async function transfer(ctx: JobContext, options: DemoJobOptions, verb: 'Uploading' | 'Downloading', total: number) {
  const batch = Math.max(1, Math.ceil(total / 12));
  ctx.phase(`${verb} records`);
  for (let done = 0; done < total; ) {
    await pause(ctx, 250 * options.delayScale);
    done = Math.min(total, done + batch);
    ctx.progress({ current: done, total, unit: 'files' });
    if (done === total || done % (batch * 4) === 0) ctx.log('info', `${verb} ${done} of ${total} files`);
    if (done >= total / 2 && Math.random() < options.failureRate / 6) {
      throw new JobFailure(`The connection to the peer dropped after ${done} of ${total} files.`, {
        code: 'peer_unreachable',
        hint:
          verb === 'Uploading'
            ? 'Check that the peer is online and reachable from this server, then push again; files the peer already has are skipped.'
            : 'Check that the peer is online and reachable from this server, then pull again; files this server already has are skipped.',
      });
    }
  }
}

/** Defines the three demo actions: push and pull against a peer, and a Dedalus key check. */
export function defineDemoJobs(jobs: JobStatus, options: DemoJobOptions) {
  jobs.define('sync.push', {
    label: (_input, target) => `Push to ${target}`,
    // No settings; a form's other fields (the peer's name) are dropped.
    input: z.object({}).default({}),
    concurrency: 4,
    timeoutMs: 10 * 60_000,
    run: async (ctx) => {
      const peer = peerNamed(ctx.target);
      if (!peer) throw new JobFailure(`There is no peer named ${ctx.target ?? '(none)'}.`, { code: 'unknown_peer', hint: 'Pick one of the peers listed on the Sync control page.' });
      ctx.phase('Connecting to peer');
      ctx.log('info', `Connecting to ${peer.name}`);
      await pause(ctx, 400 * options.delayScale);
      await transfer(ctx, options, 'Uploading', peer.records);
      ctx.phase('Verifying');
      await pause(ctx, 300 * options.delayScale);
      return { message: `Pushed ${peer.records} files to ${peer.name}.`, result: { files: peer.records } };
    },
  });

  jobs.define('sync.pull', {
    label: (_input, target) => `Pull from ${target}`,
    // A form sends a checked box as "on" and leaves an unchecked one out.
    input: z
      .object({ allow_unsigned: z.union([z.boolean(), z.literal('on')]).default(false).transform((value) => value === true || value === 'on') })
      .default({ allow_unsigned: false }),
    concurrency: 4,
    timeoutMs: 10 * 60_000,
    run: async (ctx, input) => {
      const peer = peerNamed(ctx.target);
      if (!peer) throw new JobFailure(`There is no peer named ${ctx.target ?? '(none)'}.`, { code: 'unknown_peer', hint: 'Pick one of the peers listed on the Sync control page.' });
      ctx.phase('Connecting to peer');
      await pause(ctx, 400 * options.delayScale);
      await transfer(ctx, options, 'Downloading', peer.records);
      if (!peer.signed && !input.allow_unsigned) {
        ctx.warn(`${peer.name} sent unsigned data: ${peer.records} files are awaiting approval.`);
        return { result: { files: peer.records, applied: 0 } };
      }
      ctx.phase('Applying changes');
      await pause(ctx, 300 * options.delayScale);
      return { message: `Pulled ${peer.records} files from ${peer.name}.`, result: { files: peer.records, applied: peer.records } };
    },
  });

  jobs.define('dedalus.verify', {
    label: 'Verify Dedalus connection',
    concurrency: 1,
    timeoutMs: 60_000,
    run: async (ctx) => {
      const key = options.settings.dedalusKey;
      if (!key) {
        throw new JobFailure('No Dedalus API key is saved.', { code: 'no_key', hint: 'Enter your API key in the API key form on this page and save it; saving verifies it.' });
      }
      ctx.phase('Contacting Dedalus');
      ctx.log('info', `Checking key ending in …${key.slice(-4)}`);
      await pause(ctx, 2500 * options.delayScale);
      if (key === 'bad-key' || !key.startsWith('ddl_')) {
        // The key in use is rejected: an earlier success no longer says anything about it.
        options.settings.verifiedAt = null;
        options.settings.save();
        throw new JobFailure('Dedalus rejected the API key.', {
          code: 'auth_rejected',
          hint: 'Copy a fresh key from Dedalus (Settings → API keys; it starts with "ddl_") and save it here; saving verifies it.',
        });
      }
      options.settings.verifiedAt = new Date().toISOString();
      options.settings.save();
      return { message: 'Dedalus accepted the key.', result: { verified_at: options.settings.verifiedAt } };
    },
  });
}
