/**
 * A latency histogram that merges across processes: 10 µs buckets below 100 ms, then
 * 1 ms buckets up to 60 s (anything longer lands in the last bucket). Percentiles are
 * read to the bucket's upper edge, so they never flatter the figure; `max` is exact.
 */
const FINE = 10_000; // 0..100 ms in 10 µs steps
const COARSE = 60_000; // 100 ms..60 s in 1 ms steps

export class Histogram {
  constructor() {
    this.counts = new Uint32Array(FINE + COARSE);
    this.n = 0;
    this.max = 0;
    this.sum = 0;
    /** Samples below zero (clock offset between processes); recorded as 0. */
    this.negative = 0;
  }

  record(ms) {
    if (ms < 0) {
      this.negative++;
      ms = 0;
    }
    const index = ms < 100 ? Math.floor(ms * 100) : Math.min(FINE + COARSE - 1, FINE + Math.floor(ms - 100));
    this.counts[index]++;
    this.n++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Upper edge of the bucket that holds the p-th percentile (p in 0..100); null when empty. */
  percentile(p) {
    if (!this.n) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, i < FINE ? (i + 1) / 100 : 100 + (i - FINE + 1));
    }
    return this.max;
  }

  /** A compact form for IPC: only the non-empty buckets. */
  toJSON() {
    const buckets = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) buckets.push(i, this.counts[i]);
    return { n: this.n, max: this.max, sum: this.sum, negative: this.negative, buckets };
  }

  static merge(parts) {
    const h = new Histogram();
    for (const part of parts) {
      if (!part) continue;
      for (let i = 0; i < part.buckets.length; i += 2) h.counts[part.buckets[i]] += part.buckets[i + 1];
      h.n += part.n;
      h.sum += part.sum;
      h.negative += part.negative;
      if (part.max > h.max) h.max = part.max;
    }
    return h;
  }

  summary() {
    return {
      n: this.n,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.n ? this.max : null,
      mean: this.n ? this.sum / this.n : null,
      negative: this.negative,
    };
  }
}

/** Percentiles of a plain array of numbers (nearest rank). */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => (sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] : null);
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? null };
}
