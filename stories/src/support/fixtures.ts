import { isTerminalState } from '@job-status/protocol';
import type { JobError, JobProgress, JobSnapshot } from '@job-status/protocol';
import type { ScriptLine, ScriptStep } from './job-history.js';
import type { ScenarioOptions } from './story-client.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** An ISO time `ms` milliseconds ago. */
export const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

/** A fixed job id, so a story can name the job it shows: `jobId(3)`. */
export const jobId = (n: number): string => `9d3c4b1e-2f6a-4c8d-8e1b-${n.toString(16).padStart(12, '0')}`;

/**
 * A job snapshot as the server sends it. Times follow the state unless given: queued
 * 20 s ago; running for 2 min; finished 3 min ago after 2 min 51 s.
 */
export function job(fields: Partial<JobSnapshot> & { n?: number } = {}): JobSnapshot {
  const { n = 1, ...rest } = fields;
  const state = rest.state ?? 'running';
  const queued = state === 'queued';
  const finished = isTerminalState(state);
  const startedAgo = queued ? null : finished ? 5 * MINUTE + 55 * SECOND : 2 * MINUTE;
  return {
    job_id: jobId(n),
    kind: 'sync.push',
    target: 'peer-a',
    label: 'Push to peer-a',
    state,
    phase: null,
    progress: null,
    message: null,
    error: null,
    created_at: ago(queued ? 20 * SECOND : (startedAgo ?? 0) + 4 * SECOND),
    started_at: startedAgo === null ? null : ago(startedAgo),
    finished_at: finished ? ago(3 * MINUTE + 4 * SECOND) : null,
    updated_at: ago(finished ? 3 * MINUTE : 2 * SECOND),
    seq: 100 + n,
    has_logs: false,
    actor: 'ada@example.com',
    ...rest,
  };
}

/** "120 of 500 files, 24%". */
export const files = (current: number, total = 500): JobProgress => ({
  percent: Math.round((current / total) * 100),
  current,
  total,
  unit: 'files',
});

/** What the demo's push says when the peer stops answering. */
export const peerUnreachable = (peer = 'peer-a'): JobError => ({
  code: 'peer_unreachable',
  message: `The connection to ${peer} dropped after 320 of 500 files.`,
  hint: `Check that ${peer} is online and reachable from this server, then push again; files the peer already has are skipped.`,
});

/** What the demo's Dedalus check says about a bad key. */
export const authRejected: JobError = {
  code: 'auth_rejected',
  message: 'Dedalus rejected the API key.',
  hint: 'Copy a fresh key from Dedalus (Settings → API keys; it starts with "ddl_") and save it here; saving verifies it.',
};

/** What the server records for a job whose process died (see server-adapter's registry). */
export const interrupted: JobError = {
  code: 'interrupted',
  message: 'The server restarted while this job was running.',
  hint: 'Nothing is running now: run the action again.',
};

/**
 * A server that became unreachable after its first answers, 30 s ago (the stream dropped
 * and polls fail since): what a story adds to its scenario to show the stale state.
 */
export const staleConnection = () => ({ stale: true, lastUpdateAt: Date.now() - 30_000 }) satisfies Partial<ScenarioOptions>;

/** A push running (120 of 500 files) on a connection whose updates are stale. */
export const staleRunning = () => ({ jobs: [job({ phase: 'Uploading records', progress: files(120) })], ...staleConnection() });

/** Labels of the jobs `enqueue` creates, as the demo's definitions name them. */
export const labels = {
  'sync.push': (target: string | null) => `Push to ${target}`,
  'sync.pull': (target: string | null) => `Pull from ${target}`,
  'dedalus.verify': () => 'Verify Dedalus connection',
};

/** How a job ends in a {@link lifecycle}. */
export type Outcome = 'success' | 'warning' | 'failed' | 'canceled';

/** The log lines of a push that went well, for jobs shown finished. */
export const pushLog = (total = 500): ScriptLine[] => [
  ['info', 'Connecting to peer-a'],
  ['debug', 'TLS session resumed (peer-a.example.net:7443)'],
  ['info', `Uploading ${total} files`],
  ['info', `Uploaded ${Math.round(total / 2)} of ${total} files`],
  ['info', `Uploaded ${total} of ${total} files`],
  ['info', 'Verifying checksums'],
  ['info', `Pushed ${total} files to peer-a`],
];

/**
 * A whole push to `peer`, queued → running (connecting, uploading in steps of 50 files,
 * verifying) → `outcome`. `pace` is the milliseconds between beats.
 */
export function lifecycle(outcome: Outcome, { pace = 700, total = 500, peer = 'peer-a' } = {}): ScriptStep[] {
  const steps: ScriptStep[] = [
    { after: pace * 1.5, set: { state: 'running', phase: 'Connecting to peer' }, log: [['info', `Connecting to ${peer}`]] },
    { after: pace, set: { phase: 'Uploading records', progress: files(0, total) }, log: [['info', `Uploading ${total} files`]] },
  ];
  const stopAt = outcome === 'failed' ? 320 : outcome === 'canceled' ? 200 : total;
  for (let done = 50; done <= stopAt; done += 50) {
    const log: ScriptLine[] = done % 150 === 0 ? [['info', `Uploaded ${done} of ${total} files`]] : [];
    steps.push({ after: pace, set: { progress: files(done, total) }, log });
  }
  const end = pace * 1.5;
  switch (outcome) {
    case 'success':
      steps.push(
        { after: pace, set: { phase: 'Verifying' }, log: [['info', 'Verifying checksums']] },
        { after: end, set: { state: 'success', message: `Pushed ${total} files to ${peer}.`, result: { files: total } }, log: [['info', 'Done']] },
      );
      break;
    case 'warning':
      steps.push(
        { after: pace, set: { phase: 'Verifying' }, log: [['warn', `3 files changed on ${peer} since the last sync; kept its copies`]] },
        {
          after: end,
          set: {
            state: 'warning',
            message: `Pushed ${total - 3} of ${total} files; 3 files kept ${peer}'s newer copy.`,
            result: { files: total - 3, skipped: 3 },
          },
          log: [['warn', 'Finished with 3 warnings']],
        },
      );
      break;
    case 'failed': {
      const error = peerUnreachable(peer);
      steps.push({ after: end, set: { state: 'failed', error }, log: [['error', error.message]] });
      break;
    }
    case 'canceled':
      steps.push({ after: end, set: { state: 'canceled', message: 'Canceled by grace@example.com.' }, log: [['warn', 'Canceled by grace@example.com']] });
      break;
  }
  return steps;
}

/** A page of history: twenty-four jobs of three kinds in every state, newest first. */
export function history(): JobSnapshot[] {
  const peers = ['peer-a', 'peer-b', 'peer-c'];
  const actors = ['ada@example.com', 'grace@example.com', null];
  const states = ['running', 'queued', 'success', 'failed', 'success', 'warning', 'success', 'canceled'] as const;
  return Array.from({ length: 24 }, (_, i) => {
    const state = states[i % states.length]!;
    const kind = i % 3 === 2 ? 'dedalus.verify' : i % 3 === 1 ? 'sync.pull' : 'sync.push';
    const target = kind === 'dedalus.verify' ? null : peers[i % peers.length]!;
    const label = labels[kind](target);
    const age = (i + 1) * 7 * MINUTE;
    const busy = state === 'running' || state === 'queued';
    const verify = kind === 'dedalus.verify';
    return job({
      n: 100 + i,
      kind,
      target,
      label,
      state,
      actor: actors[i % actors.length]!,
      created_at: ago(busy ? (i + 1) * 30 * SECOND : age),
      started_at: state === 'queued' ? null : ago(busy ? (i + 1) * 25 * SECOND : age - 5 * SECOND),
      finished_at: busy ? null : ago(age - 5 * SECOND - ((i % 5) + 1) * 37 * SECOND),
      updated_at: ago(busy ? SECOND : age - 4 * MINUTE),
      phase: state === 'running' ? (verify ? 'Contacting Dedalus' : 'Uploading records') : null,
      progress: verify ? null : state === 'running' ? files(120) : state === 'failed' ? files(320) : null,
      message:
        state === 'success'
          ? verify
            ? 'Dedalus accepted the key.'
            : `${kind === 'sync.push' ? 'Pushed' : 'Pulled'} 500 files.`
          : state === 'warning'
            ? 'peer-c sent unsigned data: 500 files are awaiting approval.'
            : state === 'canceled'
              ? 'Canceled by grace@example.com.'
              : null,
      error: state !== 'failed' ? null : verify ? authRejected : peerUnreachable(target!),
      has_logs: !busy,
    });
  });
}
