import { expect, fixture, html } from '@open-wc/testing';
import '../../src/elements/all.js';
import { createJobStatusClient } from '../../src/client/index.js';
import type { JobStatusProviderElement } from '../../src/elements/job-status-provider/job-status-provider.component.js';
import { newTenant, release, waitFor } from './fixture.js';

describe('<job-status-provider>', () => {
  it('gives every element inside it one client, made from base-url and interval', async () => {
    const tenant = await newTenant();
    const job = await tenant.enqueue('test.gated');
    const provider = await fixture<JobStatusProviderElement>(html`<job-status-provider base-url=${tenant.baseUrl} interval="5000">
      <job-status job-id=${job.job_id}></job-status>
      <section><job-detail job-id=${job.job_id}></job-detail></section>
      <job-list></job-list>
    </job-status-provider>`);
    expect(provider.client!.baseUrl).to.equal(tenant.baseUrl);
    expect(provider.client!.interval).to.equal(5000);
    const tile = provider.querySelector('job-status')!;
    const detail = provider.querySelector('job-detail')!;
    await waitFor(() => tile.state === 'running' && detail.state === 'running', 'both running');
    await release(job.job_id);
    await waitFor(() => tile.state === 'success' && detail.state === 'success', 'both finished');
    expect(await tenant.streamsOpened()).to.equal(1);
    await expect(provider).to.be.accessible();
  });

  it('provides a client the page gives it, and never closes that one', async () => {
    const tenant = await newTenant();
    const client = createJobStatusClient({ baseUrl: tenant.baseUrl });
    const job = await tenant.enqueue('test.quick');
    const provider = await fixture<JobStatusProviderElement>(html`<job-status-provider .client=${client}>
      <job-status job-id=${job.job_id}></job-status>
    </job-status-provider>`);
    const tile = provider.querySelector('job-status')!;
    await waitFor(() => tile.state === 'success', 'success');
    expect(client.peek(job.job_id)?.state).to.equal('success');
    await expect(provider).to.be.accessible();
    provider.remove();
    expect(client.connection.state).to.not.equal('offline');
    client.close();
  });

  it('closes its own client when it leaves the page', async () => {
    const tenant = await newTenant();
    const provider = await fixture<JobStatusProviderElement>(html`<job-status-provider base-url=${tenant.baseUrl}></job-status-provider>`);
    const client = provider.client!;
    await expect(provider).to.be.accessible();
    provider.remove();
    expect(client.connection.state).to.equal('offline');
    expect(provider.client).to.equal(undefined);
  });

  it('reaches tiles that were upgraded before it', async () => {
    const tenant = await newTenant();
    const job = await tenant.enqueue('test.quick');
    // A provider tag that is not defined yet, around a tile that is.
    const tag = `late-provider-${Math.random().toString(36).slice(2)}`;
    const wrapper = await fixture<HTMLElement>(
      html`<div></div>`,
    );
    wrapper.innerHTML = `<${tag} base-url="${tenant.baseUrl}"><job-status job-id="${job.job_id}"></job-status></${tag}>`;
    const tile = wrapper.querySelector('job-status')!;
    await tile.updateComplete;
    expect(tile.state).to.equal(null);
    const { JobStatusProviderElement } = await import('../../src/index.js');
    customElements.define(tag, class extends JobStatusProviderElement {});
    await waitFor(() => tile.state === 'success', 'the tile reached by the late provider');
    await expect(wrapper).to.be.accessible();
  });
});
