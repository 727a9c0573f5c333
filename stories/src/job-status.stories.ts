import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { expect, waitFor } from 'storybook/test';
import '@job-status/elements/job-status';
import type { JobStatusStrings } from '@job-status/elements';
import { JobStatusError } from '@job-status/elements/client';
import type { JobStatusClient } from '@job-status/elements/client';
import { ago, files, interrupted, job, jobId, peerUnreachable, staleRunning } from './support/fixtures.js';
import { storyClient } from './support/story-client.js';
import type { Scenario } from './support/story-client.js';
import { noControl, themeArgType } from './support/arg-types.js';

/** The public properties of `<job-status>` that a story sets (the client comes from the scenario). */
interface JobStatusArgs {
  jobId: string | null;
  kind: string | null;
  target: string | null;
  label: string | null;
  emptyMessage: string | null;
  detailsHref: string | null;
  theme: 'light' | 'dark' | undefined;
  strings: Partial<JobStatusStrings>;
}

const tile = (args: JobStatusArgs, client: JobStatusClient, id?: string): TemplateResult =>
  html`<job-status
    .client=${client}
    job-id=${id ?? args.jobId ?? nothing}
    kind=${args.kind ?? nothing}
    target=${args.target ?? nothing}
    label=${args.label ?? nothing}
    empty-message=${args.emptyMessage ?? nothing}
    details-href=${args.detailsHref ?? nothing}
    theme=${args.theme ?? nothing}
    .strings=${args.strings}
  ></job-status>`;

/** A history of one job (`jobId(1)`), which the tile shows through `job-id`. */
const showing = (fields: Parameters<typeof job>[0]): Scenario => () => ({ jobs: [job(fields)] });

const meta = {
  title: 'Elements/job-status',
  component: 'job-status',
  args: {
    jobId: jobId(1),
    kind: null,
    target: null,
    label: null,
    emptyMessage: null,
    detailsHref: null,
    theme: undefined,
    strings: {},
  },
  argTypes: {
    ...noControl('baseUrl', 'client', 'state', 'snapshot'),
    jobId: { control: 'text' },
    kind: { control: 'text' },
    target: { control: 'text' },
    label: { control: 'text' },
    emptyMessage: { control: 'text' },
    detailsHref: { control: 'text' },
    theme: themeArgType,
    strings: { control: 'object' },
  },
  decorators: [(story) => html`<div style="max-width: 34rem">${story()}</div>`],
  render: (args, { id, parameters }) => tile(args, storyClient(id, parameters.scenario as Scenario)),
} satisfies Meta<JobStatusArgs>;

export default meta;
type Story = StoryObj<JobStatusArgs>;

/** No job of this kind and target has run yet: the tile follows `kind` + `target` and says so. */
export const Idle: Story = {
  args: { jobId: null, kind: 'sync.push', target: 'peer-a', label: 'Push to peer-a' },
  parameters: { scenario: () => ({}) },
};

/** The same, with the page's own words for "never run" (`empty-message`). */
export const IdleWithEmptyMessage: Story = {
  name: 'Idle, with empty message',
  args: { ...Idle.args, emptyMessage: 'Never pushed. The first push sends every file to peer-a.' },
  parameters: { scenario: () => ({}) },
};

/** Before the first answer from the server. */
export const Loading: Story = {
  parameters: { scenario: () => ({ silent: true }) },
};

/** Accepted, waiting for a worker: no progress yet. */
export const Queued: Story = {
  parameters: { scenario: showing({ state: 'queued' }) },
};

/** A determinate bar from a percent alone. */
export const RunningWithPercent: Story = {
  name: 'Running, with percent',
  parameters: {
    scenario: showing({ phase: 'Uploading records', progress: { percent: 42, current: null, total: null, unit: null } }),
  },
};

/** A count with a unit: "120 of 500 files · 24%". */
export const RunningWithFiles: Story = {
  name: 'Running, N of M files',
  parameters: { scenario: showing({ phase: 'Uploading records', progress: files(120) }) },
};

/**
 * The time left, "about 30 s left": 80 % done after 2 min, and the newest successful pushes
 * to peer-a took 2 min 30 s (`typical_duration_ms`, from the server). It counts down with the
 * clock, and disappears rather than go negative.
 */
export const RunningWithTimeLeft: Story = {
  name: 'Running, with time left',
  parameters: { scenario: showing({ phase: 'Uploading records', progress: files(400), typical_duration_ms: 150_000 }) },
};

/**
 * No estimate: 4 % done, and fewer than three earlier pushes to peer-a succeeded, so the
 * server sends no typical duration. No estimate is better than a wrong one.
 */
export const RunningWithoutTimeLeft: Story = {
  name: 'Running, no time left yet',
  parameters: { scenario: showing({ phase: 'Uploading records', progress: files(20), started_at: ago(5000) }) },
};

/** Nothing measurable yet: an indeterminate bar (a hatched, still bar under reduced motion). */
export const RunningIndeterminate: Story = {
  name: 'Running, indeterminate',
  parameters: { scenario: showing({ phase: 'Waiting for peer-a to answer' }) },
};

/** Done. With logs and `details-href`, a "View details" link appears. */
export const Success: Story = {
  args: { detailsHref: '#/admin/jobs/{id}' },
  parameters: {
    scenario: showing({ state: 'success', progress: files(500), message: 'Pushed 500 files to peer-a.', has_logs: true }),
  },
};

/** Done, but something needs a look: the message says what. */
export const Warning: Story = {
  args: { detailsHref: '#/admin/jobs/{id}' },
  parameters: {
    scenario: showing({
      state: 'warning',
      progress: files(497),
      message: "Pushed 497 of 500 files; 3 files kept peer-a's newer copy.",
      has_logs: true,
    }),
  },
};

/** Failed: the error in words, and the hint says what to do next. */
export const FailedWithHint: Story = {
  name: 'Failed, with error and hint',
  args: { detailsHref: '#/admin/jobs/{id}' },
  parameters: { scenario: showing({ state: 'failed', progress: files(320), error: peerUnreachable(), has_logs: true }) },
};

/** Stopped by an admin. */
export const Canceled: Story = {
  parameters: { scenario: showing({ state: 'canceled', progress: files(200), message: 'Canceled by grace@example.com.' }) },
};

/** The server restarted under the job: a failure with code `interrupted`. */
export const Interrupted: Story = {
  parameters: { scenario: showing({ state: 'failed', progress: files(260), error: interrupted }) },
};

/** The job was deleted or expired from history (a 404). */
export const JobNoLongerExists: Story = {
  name: 'Job no longer exists',
  args: { jobId: jobId(404) },
  parameters: { scenario: () => ({}) },
};

/** The server refused the client (here a 401): the tile says what to do. */
export const Unavailable: Story = {
  parameters: {
    scenario: () => ({ refuseWatch: new JobStatusError('http', 'Sign in to see jobs.', 401, 'unauthorized') }),
  },
};

/**
 * Updates cannot be had (the stream is down and polls fail): the tile says "Reconnecting…"
 * with the time of the last update, and the running job's duration stops at that time.
 */
export const Stale: Story = {
  name: 'Stale (reconnecting)',
  parameters: { scenario: staleRunning },
  play: async ({ canvasElement }) => {
    await waitFor(() => expect(canvasElement.querySelector('job-status')!.hasAttribute('stale')).toBe(true));
  },
};

/** Long words wrap; nothing overflows the tile. */
export const LongLabelAndMessage: Story = {
  name: 'Long label and long message',
  parameters: {
    scenario: showing({
      state: 'warning',
      label: 'Push the quarterly archive of scanned supplier invoices to peer-frankfurt-backup-02.example.internal',
      target: 'peer-frankfurt-backup-02.example.internal',
      progress: files(11_987, 12_000),
      message:
        'Pushed 11,987 of 12,000 files. 13 files were skipped because peer-frankfurt-backup-02.example.internal already held a newer copy: /archive/2025/Q3/suppliers/invoices/scanned/originals/INV-2025-09-30-000123-final-signed.pdf and 12 more.',
      has_logs: true,
    }),
  },
};

/** Arabic copy through `strings`, inside `dir="rtl"`: badge, bar and times mirror. */
export const RightToLeft: Story = {
  name: 'Right-to-left text',
  args: {
    strings: {
      queued: 'في الانتظار',
      running: 'قيد التنفيذ',
      success: 'نجح',
      failed: 'فشل',
      progress: 'التقدم',
      progressCount: (current, total) => `${current} من ${total} ملف`,
      percent: (percent) => `${Math.floor(percent)}٪`,
      queuedAt: 'أُضيف',
      startedAt: 'بدأ',
      finishedAt: 'انتهى',
      duration: 'المدة',
      formatDuration: (ms) => `${Math.floor(ms / 60_000)} د ${Math.floor(ms / 1000) % 60} ث`,
      formatRelative: (date, now) => `قبل ${Math.max(1, Math.round((now - date.getTime()) / 60_000))} د`,
    },
  },
  decorators: [(story) => html`<div dir="rtl" lang="ar">${story()}</div>`],
  parameters: {
    scenario: showing({ label: 'دفع الملفات إلى peer-a', phase: 'رفع السجلات', progress: files(120) }),
  },
};

const gallery = (args: JobStatusArgs, client: JobStatusClient) =>
  html`<div style="display: grid; gap: 0.75rem">${[1, 2, 3, 4, 5, 6].map((n) => tile(args, client, jobId(n)))}</div>`;

const everyState: Scenario = () => ({
  jobs: [
    job({ n: 1, state: 'queued' }),
    job({ n: 2, phase: 'Uploading records', progress: files(120) }),
    job({ n: 3, state: 'success', progress: files(500), message: 'Pushed 500 files to peer-a.' }),
    job({ n: 4, state: 'warning', progress: files(497), message: "Pushed 497 of 500 files; 3 files kept peer-a's newer copy." }),
    job({ n: 5, state: 'failed', progress: files(320), error: peerUnreachable() }),
    job({ n: 6, state: 'canceled', progress: files(200), message: 'Canceled by grace@example.com.' }),
  ],
});

/** Every state in the light theme (`theme="light"`), whatever the system prefers. */
export const LightTheme: Story = {
  args: { theme: 'light' },
  render: (args, { id }) => gallery(args, storyClient(id, everyState)),
};

/** Every state in the dark theme (`theme="dark"`), on a dark page. */
export const DarkTheme: Story = {
  args: { theme: 'dark' },
  globals: { backgrounds: { value: 'dark' } },
  render: (args, { id }) => gallery(args, storyClient(id, everyState)),
};

/**
 * A page's own look, through the `--job-status-*` custom properties and `::part()`:
 * square corners, a serif face, more room, teal for running.
 */
export const Themed: Story = {
  name: 'Themed (custom properties)',
  render: (args, { id }) => html`<style>
      .brand job-status {
        --job-status-font-family: Georgia, 'Times New Roman', serif;
        --job-status-font-size: 1rem;
        --job-status-radius: 0;
        --job-status-space: 0.75rem;
        --job-status-surface: #fffdf7;
        --job-status-text: #2b2118;
        --job-status-muted: #5c4f42;
        --job-status-border: #2b2118;
        --job-status-track: #d9ebe8;
        --job-status-running-color: #00615c;
        --job-status-running-bg: #dff1ee;
        --job-status-success-color: #1d5e20;
        --job-status-success-bg: #e3f1de;
      }
      .brand job-status::part(badge) {
        text-transform: uppercase;
        letter-spacing: 0.06em;
        font-size: 0.75em;
      }
    </style>
    <div class="brand" style="display: grid; gap: 0.75rem">
      ${[2, 3].map((n) => tile(args, storyClient(id, everyState), jobId(n)))}
    </div>`,
};
