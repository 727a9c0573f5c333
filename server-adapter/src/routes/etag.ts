/** Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks for `If-None-Match`), or is `*`. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === bare;
  });
}

/**
 * A short tag for the saved states of a list of jobs, in order, from their `seq`s: the store
 * numbers every save of every job once (the same `seq` means the same state of the same
 * job), so the list of seqs names the list of states, and a change of any job, or of which
 * jobs are in the list, changes it. Two 32-bit hashes of the numbers and the count (not a
 * security boundary; computed on every poll of many ids, so from the numbers, not text).
 */
export function versionsTag(jobs: readonly { readonly job: { readonly seq: number } }[]): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < jobs.length; i++) {
    const seq = jobs[i]!.job.seq;
    const low = seq >>> 0;
    const high = Math.floor(seq / 0x100000000) >>> 0;
    a = Math.imul(Math.imul(a ^ low, 0x01000193) ^ high, 0x01000193);
    b = Math.imul(b ^ low, 0x5bd1e995);
    b = Math.imul(b ^ (b >>> 15) ^ high, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}.${jobs.length.toString(36)}`;
}
