// The demo's own page behaviour, loaded as a module after the elements.

// "Save API key" saves through the page's form route, then shows the verification it
// started in the tile beside it (without JavaScript the form posts and redirects).
const keyForm = document.getElementById('key-form');
keyForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const tile = document.getElementById(keyForm.dataset.tile);
  const button = keyForm.querySelector('button');
  button.disabled = true;
  try {
    const response = await fetch(keyForm.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(keyForm)),
      headers: { accept: 'application/json' },
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body?.error?.message ?? `The server answered ${response.status}.`);
    keyForm.reset();
    tile.jobId = body.job_id;
  } catch (error) {
    tile.setAttribute('empty-message', `The key was not saved: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});

// The "last verified" time follows every successful verification, from either tile.
const verifiedAt = document.getElementById('verified-at');
document.addEventListener('job-status-settled', (event) => {
  const job = event.snapshot;
  if (!verifiedAt || job.kind !== 'dedalus.verify' || event.state !== 'success') return;
  const at = job.result?.verified_at ?? job.finished_at;
  verifiedAt.dateTime = at;
  verifiedAt.textContent = new Date(at).toLocaleString();
});

// Times rendered by the server in UTC read better in the admin's own time zone.
for (const time of document.querySelectorAll('time[datetime]')) {
  const at = new Date(time.dateTime);
  if (!Number.isNaN(at.getTime())) time.textContent = at.toLocaleString();
}
