import { expect } from '@open-wc/testing';
import { html, render } from 'lit';
import type { JobSnapshot } from '@job-status/protocol';
import { timeLeftText } from '../../src/internal/job-times.js';
import { jobStatusStrings } from '../../src/internal/strings.js';
import { timeLeft } from '../../src/internal/time-left.js';

/** The injected clock: every time in these tests is counted from here. */
const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A push that started at T0 and last reported `percent` at `reportedAt` seconds. */
function running(percent: number | null, reportedAt: number, typical?: number): JobSnapshot {
  return {
    job_id: 'j',
    kind: 'sync.push',
    target: 'peer-a',
    label: 'Push to peer-a',
    state: 'running',
    phase: 'Uploading records',
    progress: percent === null ? null : { percent, current: null, total: null, unit: null },
    message: null,
    error: null,
    created_at: at(0),
    started_at: at(0),
    finished_at: null,
    updated_at: at(reportedAt),
    seq: 1,
    has_logs: false,
    actor: 'ada',
    ...(typical === undefined ? {} : { typical_duration_ms: typical }),
  };
}
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));

describe('time left', () => {
  describe('from the job’s own pace', () => {
    it('scales the time taken so far to the whole, and counts down with the clock', () => {
      // 25 % after 20 s: 80 s in all, 60 s left at 20 s, 50 s left at 30 s.
      expect(seconds(timeLeft(running(25, 20), T0 + 20_000))).to.equal(60);
      expect(seconds(timeLeft(running(25, 20), T0 + 30_000))).to.equal(50);
    });

    it('reads a count as well as a percent', () => {
      const job = { ...running(null, 20), progress: { percent: null, current: 30, total: 120, unit: 'files' } };
      expect(seconds(timeLeft(job, T0 + 20_000))).to.equal(60);
    });

    it('says nothing before 10 % is done, or when the share was reached in under 2 s', () => {
      expect(timeLeft(running(9, 20), T0 + 20_000)).to.equal(null);
      expect(timeLeft(running(50, 1), T0 + 1_000)).to.equal(null);
      expect(timeLeft(running(null, 20), T0 + 20_000)).to.equal(null);
    });
  });

  describe('from the history', () => {
    it('uses the typical duration alone while the job has not shown its pace', () => {
      expect(seconds(timeLeft(running(null, 5, 40_000), T0 + 10_000))).to.equal(30);
      expect(seconds(timeLeft(running(5, 5, 40_000), T0 + 10_000))).to.equal(30);
    });

    it('gives way to the job’s own pace as it nears the end', () => {
      // Usually 40 s; this run is at 50 % after 30 s (60 s pace): half of each, 50 s in all.
      expect(seconds(timeLeft(running(50, 30, 40_000), T0 + 30_000))).to.equal(20);
      // A faster run, at 90 % after 27 s (30 s pace): 31 s in all, 4 s left.
      expect(seconds(timeLeft(running(90, 27, 40_000), T0 + 27_000))).to.equal(4);
    });

    it('is dropped when this run is already slower than the usual total', () => {
      // Usually 40 s, but 50 % took 50 s: only its own pace (100 s) counts.
      expect(seconds(timeLeft(running(50, 50, 40_000), T0 + 50_000))).to.equal(50);
    });
  });

  describe('never wrong on purpose', () => {
    it('is never negative: once the time is up (a stall, an overrun) there is no estimate', () => {
      expect(timeLeft(running(null, 5, 40_000), T0 + 39_500)).to.equal(null);
      expect(timeLeft(running(null, 5, 40_000), T0 + 90_000)).to.equal(null);
      expect(timeLeft(running(25, 20), T0 + 200_000)).to.equal(null);
    });

    it('is given only while the job runs', () => {
      for (const state of ['queued', 'success', 'failed', 'canceled', 'warning'] as const) {
        expect(timeLeft({ ...running(50, 30, 40_000), state }, T0 + 30_000)).to.equal(null);
      }
    });
  });

  describe('in words', () => {
    const words = (job: JobSnapshot, now: number, strings = jobStatusStrings) => {
      const host = document.createElement('div');
      render(html`${timeLeftText(job, now, strings)}`, host);
      return host.textContent!.trim();
    };

    it('reads "about 40 s left", in coarse steps, and minutes past one', () => {
      expect(words(running(null, 1, 60_000), T0 + 22_000)).to.equal('about 40 s left');
      expect(words(running(null, 1, 60_000), T0 + 55_000)).to.equal('a few seconds left');
      expect(words(running(null, 1, 600_000), T0 + 10_000)).to.equal('about 10 min left');
      expect(words(running(null, 1, 60_000), T0 + 61_000)).to.equal('');
    });

    it('takes its words from the strings', () => {
      const strings = { ...jobStatusStrings, formatTimeLeft: (ms: number) => `noch etwa ${Math.round(ms / 1000)} s` };
      expect(words(running(null, 1, 60_000), T0 + 20_000, strings)).to.equal('noch etwa 40 s');
    });
  });
});
