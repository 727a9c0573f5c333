import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DemoUser } from '../auth.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface LayoutOptions {
  title: string;
  user: DemoUser | null;
  /** The nav entry to mark as current. */
  current?: 'sync' | 'dedalus' | 'jobs';
  body: Html;
}

const NAV = [
  ['sync', '/admin/sync-control', 'Sync control'],
  ['dedalus', '/admin/dedalus', 'Dedalus settings'],
  ['jobs', '/admin/jobs', 'Jobs'],
] as const;

/**
 * The page frame: navigation, the signed-in user, and one `<job-status-provider>` so the
 * whole page shares one connection. Everything interpolated is escaped by `html`.
 */
export function layout({ title, user, current, body }: LayoutOptions) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Example admin</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/demo.css" />
    <script type="module" src="/assets/elements/job-status-elements.js"></script>
    <script type="module" src="/assets/demo.js"></script>
  </head>
  <body>
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">Example admin</span>
      ${user
        ? html`<nav aria-label="Main">
              <ul>
                ${NAV.map(
                  ([key, href, label]) =>
                    html`<li><a href="${href}" ${key === current ? html`aria-current="page"` : ''}>${label}</a></li>`,
                )}
              </ul>
            </nav>
            <form class="who" method="post" action="/logout">
              <span>Signed in as <strong>${user.name}</strong></span>
              <button type="submit" class="link">Sign out</button>
            </form>`
        : ''}
    </header>
    <job-status-provider base-url="/api/admin/jobs">
      <main id="main">
        <h1>${title}</h1>
        ${body}
      </main>
    </job-status-provider>
  </body>
</html>`;
}
