import { html } from 'hono/html';
import type { JobSnapshot } from '@job-status/protocol';
import { jobStatusStrings } from '@job-status/elements/strings';
import type { DemoUser } from '../auth.js';
import type { Peer } from '../peers.js';
import { layout } from './layout.js';

const DETAILS = '/admin/jobs/{id}';
/** Times as an admin reads them, even with JavaScript off (demo.js then shows them in the admin's own zone). */
const UTC_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
const timeText = (iso: string) => `${UTC_TIME.format(new Date(iso))} UTC`;
const time = (iso: string) => html`<time datetime="${iso}">${timeText(iso)}</time>`;
/** Where "Run again" posts, per kind: the page's own form routes, which start the same action. */
const RUN_AGAIN: Record<string, string> = {
  'sync.push': '/admin/sync-control/push',
  'sync.pull': '/admin/sync-control/pull',
  'dedalus.verify': '/admin/dedalus/verify',
};

/**
 * What a tile shows before the elements load, and all it shows with JavaScript off: the
 * last job in words. The element's shadow root replaces it once it runs.
 */
function fallback(job: JobSnapshot | null, idle: string) {
  if (!job) return html`<p class="fallback">${idle}</p>`;
  const detail = job.error?.message ?? job.message;
  return html`<p class="fallback">
    <strong>${jobStatusStrings[job.state]}</strong>${detail ? html`: ${detail}` : ''}
    ${job.error?.hint ? html`<br />${job.error.hint}` : ''}
    <br /><a href="/admin/jobs/${job.job_id}">View details</a>
    (${job.finished_at ? html`finished ${time(job.finished_at)}` : html`queued ${time(job.created_at)}`}; reload to refresh)
  </p>`;
}

export function loginPage(error?: string) {
  return layout({
    title: 'Sign in',
    user: null,
    body: html`<form class="card narrow" method="post" action="/login">
      <p>This demo has two users. The viewer is signed in but is not an admin.</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <fieldset>
        <legend>Sign in as</legend>
        <label><input type="radio" name="user" value="admin" checked /> admin</label>
        <label><input type="radio" name="user" value="viewer" /> viewer</label>
      </fieldset>
      <button type="submit">Sign in</button>
    </form>`,
  });
}

export function adminsOnlyPage(user: DemoUser) {
  return layout({
    title: 'Admins only',
    user,
    body: html`<div class="card narrow" role="status">
      <p>You are signed in as <strong>${user.name}</strong>, who cannot run or see admin jobs.</p>
      <p>Ask an admin for access, or sign out and sign in as <strong>admin</strong>.</p>
    </div>`,
  });
}

export interface PeerView {
  peer: Peer;
  lastPush: JobSnapshot | null;
  lastPull: JobSnapshot | null;
}

export function syncPage(user: DemoUser, peers: PeerView[]) {
  return layout({
    title: 'Sync control',
    user,
    current: 'sync',
    body: html`<p class="lede">Push this server's records to a peer, or pull the peer's records here. Each action shows its live status beside its button.</p>
      <div class="grid">
        ${peers.map(
          ({ peer, lastPush, lastPull }) => html`<section class="card" aria-labelledby="${peer.name}-title" id="${peer.name}">
            <h2 id="${peer.name}-title">${peer.name}</h2>
            <p class="meta">${peer.records} records · ${peer.signed ? 'signed' : 'unsigned: pulls need approval'}</p>
            <div class="action">
              <form method="post" action="/admin/sync-control/push">
                <input type="hidden" name="peer" value="${peer.name}" />
                <job-trigger kind="sync.push" target="${peer.name}" for="push-${peer.name}">
                  <button type="submit">Push now</button>
                </job-trigger>
              </form>
              <job-status id="push-${peer.name}" kind="sync.push" target="${peer.name}" label="Push to ${peer.name}" details-href="${DETAILS}" empty-message="Not pushed yet">
                ${fallback(lastPush, 'Not pushed yet')}
              </job-status>
            </div>
            <div class="action">
              <form method="post" action="/admin/sync-control/pull">
                <input type="hidden" name="peer" value="${peer.name}" />
                <job-trigger kind="sync.pull" target="${peer.name}" for="pull-${peer.name}" use-form>
                  <button type="submit">Pull now</button>
                </job-trigger>
                <label class="check"><input type="checkbox" name="allow_unsigned" /> allow unsigned</label>
              </form>
              <job-status id="pull-${peer.name}" kind="sync.pull" target="${peer.name}" label="Pull from ${peer.name}" details-href="${DETAILS}" empty-message="Not pulled yet">
                ${fallback(lastPull, 'Not pulled yet')}
              </job-status>
            </div>
          </section>`,
        )}
      </div>`,
  });
}

export interface DedalusView {
  hasKey: boolean;
  verifiedAt: string | null;
  lastVerify: JobSnapshot | null;
  /** The verification a save just started (after a no-JavaScript save). */
  saved?: string | null;
  /** Why the key was not saved (after a no-JavaScript save). */
  keyError?: string | null;
}

/** "Last verified": the time of the last success with the key in use, or why there is none. */
function verifiedText(view: DedalusView) {
  if (view.verifiedAt) return time(view.verifiedAt);
  const last = view.lastVerify;
  if (last?.state === 'failed' && last.error) return html`not verified: ${last.error.message}`;
  return view.hasKey ? 'not verified yet' : 'never (no key saved)';
}

export function dedalusPage(user: DemoUser, view: DedalusView) {
  return layout({
    title: 'Dedalus settings',
    user,
    current: 'dedalus',
    body: html`<p class="lede">Dedalus receives this server's audit trail. Save its API key here; the connection is verified in the background.</p>
      <p id="verified">Last verified: <span id="verified-at">${verifiedText(view)}</span></p>
      <div class="grid two">
        <section class="card" aria-labelledby="key-title">
          <h2 id="key-title">API key</h2>
          <form id="key-form" method="post" action="/admin/dedalus/key" data-tile="save-tile">
            <label for="api-key">API key ${view.hasKey ? html`<span class="meta">(one is saved; enter a new one to replace it)</span>` : ''}</label>
            <input id="api-key" name="api_key" type="password" autocomplete="off" required spellcheck="false" placeholder="ddl_…"
              aria-describedby="key-error" ${view.keyError ? html`aria-invalid="true"` : ''} />
            <p id="key-error" class="error" ${view.keyError ? '' : html`hidden`}>${view.keyError ?? ''}</p>
            <button type="submit">Save API key</button>
          </form>
          <job-status id="save-tile" details-href="${DETAILS}" label="Verify the saved key" empty-message="Saving a key verifies it at once." ${view.saved ? html`job-id="${view.saved}"` : ''}>
            ${view.saved ? html`<p class="fallback">Key saved; verification started. Reload to see the outcome.</p>` : html`<p class="fallback">Saving a key verifies it at once.</p>`}
          </job-status>
        </section>
        <section class="card" aria-labelledby="verify-title">
          <h2 id="verify-title">Connection</h2>
          <form method="post" action="/admin/dedalus/verify">
            <job-trigger kind="dedalus.verify" for="verify-tile">
              <button type="submit">Verify connection</button>
            </job-trigger>
          </form>
          <job-status id="verify-tile" kind="dedalus.verify" label="Verify Dedalus connection" details-href="${DETAILS}" empty-message="Not verified yet">
            ${fallback(view.lastVerify, 'Not verified yet')}
          </job-status>
        </section>
      </div>`,
  });
}

/** The dashboard's filters, as they stand in the page's URL (so a filtered view can be bookmarked). */
export interface JobFilters {
  state?: string | undefined;
  kind?: string | undefined;
  target?: string | undefined;
  sort?: string | undefined;
}

export function jobsPage(user: DemoUser, recent: JobSnapshot[], filters: JobFilters = {}) {
  const attr = (name: keyof JobFilters) => (filters[name] ? html`${name}="${filters[name]}"` : '');
  return layout({
    title: 'Jobs',
    user,
    current: 'jobs',
    body: html`<job-list detail-href="${DETAILS}" ${attr('state')} ${attr('kind')} ${attr('target')} ${attr('sort')}>
      <table class="fallback">
        <caption>The 20 newest jobs (reload to refresh)</caption>
        <thead><tr><th scope="col">Action</th><th scope="col">State</th><th scope="col">By</th><th scope="col">Queued</th></tr></thead>
        <tbody>
          ${recent.map(
            (job) => html`<tr>
              <td><a href="/admin/jobs/${job.job_id}">${job.label}</a></td>
              <td>${jobStatusStrings[job.state]}${job.error ? html`: ${job.error.message}` : ''}</td>
              <td>${job.actor ?? ''}</td>
              <td>${time(job.created_at)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </job-list>`,
  });
}

/**
 * "Run again" under a failed or canceled job: the same action on the same target, then
 * the new job's own page. Shown by CSS only while the detail says the job failed or was
 * canceled, so it appears when a job fails while the admin watches.
 */
function runAgain(job: JobSnapshot) {
  return html`<form class="run-again" method="post" action="${RUN_AGAIN[job.kind]}">
    ${job.target ? html`<input type="hidden" name="peer" value="${job.target}" />` : ''}
    <input type="hidden" name="then" value="detail" />
    <button type="submit">Run again</button>
    <span class="meta">Starts “${job.label}” again, with the default settings.</span>
  </form>`;
}

export function jobDetailPage(user: DemoUser, job: JobSnapshot | null, id: string) {
  return layout({
    title: job ? job.label : 'Job',
    user,
    current: 'jobs',
    body: html`<p><a href="/admin/jobs">← All jobs</a></p>
      <job-detail job-id="${id}" ${job ? html`state="${job.state}"` : ''}>
        ${job
          ? html`<div class="fallback card">${fallback(job, '')}</div>`
          : html`<p class="fallback">This job no longer exists. Finished jobs are kept for 24 hours.</p>`}
      </job-detail>
      ${job && RUN_AGAIN[job.kind] ? runAgain(job) : ''}`,
  });
}
