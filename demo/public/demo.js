// The demo's own page behaviour, loaded as a module after the elements.

const TERMINAL = ['success', 'warning', 'failed', 'canceled'];

// "Save API key" saves through the page's form route, then shows the verification it
// started in the tile beside it (without JavaScript the form posts and redirects). The
// button stays disabled until that verification has ended; a key that cannot be saved
// is explained under the field.
const keyForm = document.getElementById('key-form');
if (keyForm) {
  const tile = document.getElementById(keyForm.dataset.tile);
  const input = keyForm.querySelector('input[name="api_key"]');
  const button = keyForm.querySelector('button');
  const keyError = document.getElementById('key-error');
  // The page says why, in words, instead of the browser's bubble (which also misses "   ").
  keyForm.noValidate = true;

  const showError = (message) => {
    keyError.textContent = message;
    keyError.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  const busy = (on) => {
    button.disabled = on;
    if (on) button.setAttribute('aria-busy', 'true');
    else button.removeAttribute('aria-busy');
  };
  /** Enables the button once the tile shows the job `jobId` ended. */
  const releaseWhenSettled = (jobId) => {
    const check = () => {
      if (tile.snapshot?.job_id === jobId && TERMINAL.includes(tile.getAttribute('state'))) {
        observer.disconnect();
        busy(false);
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(tile, { attributes: true, attributeFilter: ['state'] });
    check();
  };

  input.addEventListener('input', () => showError(''));
  keyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      showError('Enter the API key Dedalus gave you; it cannot be blank.');
      input.focus();
      return;
    }
    showError('');
    busy(true);
    try {
      const response = await fetch(keyForm.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(keyForm)),
        headers: { accept: 'application/json' },
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.error?.message?.replace(/^api_key: /, '') ?? `The server answered ${response.status}. Try again.`);
      keyForm.reset();
      showVerified('checking the new key…');
      tile.jobId = body.job_id;
      releaseWhenSettled(body.job_id);
    } catch (error) {
      showError(`The key was not saved. ${error.message}`);
      busy(false);
      input.focus();
    }
  });
}

// "Last verified" speaks of the key in use: the time of its last success, or why there is none.
const verifiedAt = document.getElementById('verified-at');
function showVerified(text, at) {
  if (!verifiedAt) return;
  verifiedAt.replaceChildren();
  if (at) {
    const time = document.createElement('time');
    time.dateTime = at;
    time.textContent = new Date(at).toLocaleString();
    verifiedAt.append(time);
  } else {
    verifiedAt.textContent = text;
  }
}
document.addEventListener('job-status-settled', (event) => {
  const job = event.snapshot;
  if (job.kind !== 'dedalus.verify') return;
  if (event.state === 'success') showVerified('', job.result?.verified_at ?? job.finished_at);
  else if (event.state === 'failed' && job.error?.code !== 'interrupted') showVerified(`not verified: ${job.error?.message ?? 'the check failed'}`);
});

// The dashboard's filters live in the URL, so a reload keeps them and a filtered view can
// be bookmarked or shared. The list reflects them as attributes; the server renders them back.
const list = document.querySelector('job-list');
if (list) {
  const FILTERS = ['state', 'kind', 'target', 'sort'];
  new MutationObserver(() => {
    const url = new URL(location.href);
    for (const name of FILTERS) {
      const value = list.getAttribute(name);
      if (value) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    if (url.href !== location.href) history.replaceState(null, '', url);
  }).observe(list, { attributes: true, attributeFilter: FILTERS });
}

// Times rendered by the server in UTC read better in the admin's own time zone.
for (const time of document.querySelectorAll('time[datetime]')) {
  const at = new Date(time.dateTime);
  if (!Number.isNaN(at.getTime())) time.textContent = at.toLocaleString();
}
