import { html } from 'hono/html';
import type { JobSnapshot } from '@job-status/protocol';
import type { DemoUser } from '../auth.js';
import type { Peer } from '../peers.js';
import { layout } from './layout.js';

const DETAILS = '/admin/jobs/{id}';
const STATE_TEXT: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  success: 'Succeeded',
  warning: 'Finished with warnings',
  failed: 'Failed',
  canceled: 'Canceled',
};

/**
 * What a tile shows before the elements load, and all it shows with JavaScript off: the
 * last job in words. The element's shadow root replaces it once it runs.
 */
function fallback(job: JobSnapshot | null, idle: string) {
  if (!job) return html`<p class="fallback">${idle}</p>`;
  return html`<p class="fallback">
    <strong>${STATE_TEXT[job.state] ?? job.state}</strong>
    ${job.message ? html`: ${job.message}` : ''}
    ${job.error?.hint ? html`<br />${job.error.hint}` : ''}
    <br /><a href="/admin/jobs/${job.job_id}">View details</a>
    (${job.finished_at ? html`finished <time datetime="${job.finished_at}">${job.finished_at}</time>` : html`started <time datetime="${job.created_at}">${job.created_at}</time>`}; reload to refresh)
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

export function dedalusPage(user: DemoUser, view: { hasKey: boolean; verifiedAt: string | null; lastVerify: JobSnapshot | null; saved?: string | null }) {
  return layout({
    title: 'Dedalus settings',
    user,
    current: 'dedalus',
    body: html`<p class="lede">Dedalus receives this server's audit trail. Save its API key here; the connection is verified in the background.</p>
      <p>
        Last verified:
        <time id="verified-at" ${view.verifiedAt ? html`datetime="${view.verifiedAt}"` : ''}>${view.verifiedAt ?? 'never'}</time>
      </p>
      <div class="grid two">
        <section class="card" aria-labelledby="key-title">
          <h2 id="key-title">API key</h2>
          <form id="key-form" method="post" action="/admin/dedalus/key" data-tile="save-tile">
            <label for="api-key">API key ${view.hasKey ? html`<span class="meta">(one is saved; enter a new one to replace it)</span>` : ''}</label>
            <input id="api-key" name="api_key" type="password" autocomplete="off" required spellcheck="false" placeholder="ddl_…" />
            <button type="submit">Save API key</button>
          </form>
          <job-status id="save-tile" details-href="${DETAILS}" label="Verify the saved key" empty-message="${view.saved ? '' : 'Saving a key verifies it at once.'}" ${view.saved ? html`job-id="${view.saved}"` : ''}>
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

export function jobsPage(user: DemoUser, recent: JobSnapshot[]) {
  return layout({
    title: 'Jobs',
    user,
    current: 'jobs',
    body: html`<job-list detail-href="${DETAILS}">
      <table class="fallback">
        <caption>The 20 newest jobs (reload to refresh)</caption>
        <thead><tr><th scope="col">Action</th><th scope="col">State</th><th scope="col">By</th><th scope="col">Queued</th></tr></thead>
        <tbody>
          ${recent.map(
            (job) => html`<tr>
              <td><a href="/admin/jobs/${job.job_id}">${job.label}</a></td>
              <td>${STATE_TEXT[job.state] ?? job.state}</td>
              <td>${job.actor ?? ''}</td>
              <td><time datetime="${job.created_at}">${job.created_at}</time></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </job-list>`,
  });
}

export function jobDetailPage(user: DemoUser, job: JobSnapshot | null, id: string) {
  return layout({
    title: job ? job.label : 'Job',
    user,
    current: 'jobs',
    body: html`<p><a href="/admin/jobs">← All jobs</a></p>
      <job-detail job-id="${id}">
        ${job
          ? html`<div class="fallback card">${fallback(job, '')}</div>`
          : html`<p class="fallback">This job no longer exists. Finished jobs are kept for 24 hours.</p>`}
      </job-detail>`,
  });
}
