import { expect } from '@open-wc/testing';
import type { JobSnapshot } from '@job-status/protocol';
import { placeJob } from '../../src/internal/page-placement.js';

/** A job created at minute `created` (and updated at minute `updated`) of one hour. */
const job = (id: string, created: number, fields: Partial<JobSnapshot> & { updated?: number } = {}): JobSnapshot => ({
  job_id: id,
  kind: 'k',
  target: null,
  label: id,
  state: 'running',
  phase: null,
  progress: null,
  message: null,
  error: null,
  created_at: `2030-01-01T10:${String(created).padStart(2, '0')}:00.000Z`,
  started_at: null,
  finished_at: null,
  updated_at: `2030-01-01T10:${String(fields.updated ?? created).padStart(2, '0')}:00.000Z`,
  seq: created,
  has_logs: false,
  actor: null,
  ...fields,
});
const ids = (rows: JobSnapshot[]) => rows.map((row) => row.job_id);
const page = [job('c', 30), job('b', 20), job('a', 10)];

describe('placeJob (where the stream puts a job on the page shown)', () => {
  it('puts a new job at the top of the first page, newest first', () => {
    expect(ids(placeJob(page, job('d', 40), { first: true, last: false }))).to.deep.equal(['d', 'c', 'b', 'a']);
  });

  it('leaves a later page alone when the new job sorts before it', () => {
    expect(ids(placeJob(page, job('d', 40), { first: false, last: true }))).to.deep.equal(['c', 'b', 'a']);
  });

  it('adds to the end only on the last page, oldest first', () => {
    const asc = [...page].reverse();
    expect(ids(placeJob(asc, job('d', 40), { sort: 'created_asc', first: true, last: false }))).to.deep.equal(['a', 'b', 'c']);
    expect(ids(placeJob(asc, job('d', 40), { sort: 'created_asc', first: true, last: true }))).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('updates a row in place, and moves it to the top when sorted by last update', () => {
    const changed = job('a', 10, { state: 'success', updated: 50 });
    expect(placeJob(page, changed, { first: true, last: true })[2]).to.equal(changed);
    expect(ids(placeJob(page, changed, { sort: 'updated_desc', first: true, last: true }))).to.deep.equal(['a', 'c', 'b']);
  });

  it('drops a row that leaves the state filter, and takes one that enters it', () => {
    expect(ids(placeJob(page, job('b', 20, { state: 'success' }), { state: 'running', first: true, last: true }))).to.deep.equal(['c', 'a']);
    expect(ids(placeJob([job('c', 30)], job('x', 25), { state: 'running', first: true, last: true }))).to.deep.equal(['c', 'x']);
    expect(ids(placeJob(page, job('y', 45, { state: 'queued' }), { state: 'running', first: true, last: true }))).to.deep.equal(['c', 'b', 'a']);
  });
});
