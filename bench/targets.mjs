/**
 * The targets, each judged from the figures of one run. A verdict is `met`,
 * `missed` or `skipped` (with the reason); it never fails the run: speed is reported,
 * not asserted. In a quick run the sizes are smaller than the targets name, so its
 * verdicts are marked indicative.
 */
const KB = 1024;
const ms = (v) => (v === null || v === undefined ? '–' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const ratio = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);

function fanoutTargets(part) {
  if (!part || part.error) return [{ name: 'SSE fan-out', goal: '', figure: '', verdict: 'error', note: part?.error ?? 'not run' }];
  const rows = part.rows ?? [];
  const largest = Math.max(0, ...rows.map((r) => r.subscribers));
  const out = [];
  for (const shape of ['broadcast', 'topic']) {
    for (const rate of part.plan.rates) {
      const pick = (impl) => rows.find((r) => r.impl === impl && r.shape === shape && r.rate === rate && r.subscribers === largest);
      const base = pick('baseline');
      const ours = pick('job-status');
      const name = `Fan-out, ${largest.toLocaleString('en-US')} subscribers, ${shape}, ${rate.toLocaleString('en-US')} updates/s`;
      const goal = 'p99 ≤ 1.25× baseline, rate ≥ 0.8× baseline, 0 lost';
      if (!base || !ours) {
        out.push({ name, goal, figure: '', verdict: 'skipped', note: 'a configuration did not run (see notes)' });
        continue;
      }
      const p99 = ours.latency_ms.p99 !== null && base.latency_ms.p99 ? ours.latency_ms.p99 / base.latency_ms.p99 : null;
      const rateRatio = base.delivered_per_s ? ours.delivered_per_s / base.delivered_per_s : null;
      const met = p99 !== null && p99 <= 1.25 && rateRatio !== null && rateRatio >= 0.8 && ours.lost === 0;
      out.push({
        name,
        goal,
        figure: `p99 ${ms(ours.latency_ms.p99)} vs ${ms(base.latency_ms.p99)} (${ratio(p99)}); rate ${Math.round(ours.delivered_per_s).toLocaleString('en-US')}/s vs ${Math.round(base.delivered_per_s).toLocaleString('en-US')}/s (${ratio(rateRatio)}); lost ${ours.lost.toLocaleString('en-US')} of ${ours.expected.toLocaleString('en-US')}; server CPU ${ratio(ours.server_cpu_us_per_delivery / base.server_cpu_us_per_delivery)} per delivered event`,
        verdict: met ? 'met' : 'missed',
      });
    }
  }
  return out;
}

/** The polling rows of issue 16, each against the bare Hono route of the same run. */
const POLLING_GOALS = [
  { key: 'id_304', name: 'Polling: GET /:id 304 vs bare Hono route', goal: 0.85 },
  { key: 'id_200_stored', name: 'Polling: GET /:id 200, finished job from SQLite, vs bare Hono route', goal: 0.7 },
  { key: 'ids_20', name: 'Polling: GET /?ids= 20 ids vs bare Hono route', goal: 0.4 },
];

function pollingTargets(part) {
  if (!part || part.error) return POLLING_GOALS.map(({ name, goal }) => ({ name, goal: `≥ ${goal}× the bare route’s req/s`, figure: '', verdict: 'error', note: part?.error ?? 'not run' }));
  const bare = part.rows.find((r) => r.key === 'bare');
  return POLLING_GOALS.flatMap(({ key, name, goal }) => {
    const hit = part.rows.find((r) => r.key === key);
    if (!hit) return [];
    const r = hit.req_per_s / bare.req_per_s;
    return [{
      name,
      goal: `≥ ${goal}× the bare route’s req/s`,
      figure: `${Math.round(hit.req_per_s).toLocaleString('en-US')} vs ${Math.round(bare.req_per_s).toLocaleString('en-US')} req/s (${ratio(r)}); server CPU ${ratio(hit.server_cpu_us_per_req / bare.server_cpu_us_per_req)} per request (${hit.server_cpu_us_per_req.toFixed(1)} vs ${bare.server_cpu_us_per_req.toFixed(1)} µs)`,
      verdict: r >= goal ? 'met' : 'missed',
    }];
  });
}

/** Opening many `?job=` streams, the RSS they hold, and one job watched by many streams. */
function streamTargets(part) {
  if (!part || part.error || !part.rows) return [];
  const rows = part.rows;
  const out = [];
  const topic = Math.max(0, ...rows.filter((r) => r.shape === 'topic').map((r) => r.subscribers));
  const rate = Math.min(...part.plan.rates);
  const pick = (impl, shape, n, at = rate) => rows.find((r) => r.impl === impl && r.shape === shape && r.subscribers === n && r.rate === at);
  const base = pick('baseline', 'topic', topic);
  const ours = pick('job-status', 'topic', topic);
  if (base && ours) {
    const n = topic.toLocaleString('en-US');
    const connect = ours.connect_ms / base.connect_ms;
    out.push({
      name: `Opening ${n} streams (?job=, ${(topic / 10).toLocaleString('en-US')} jobs)`,
      goal: '≤ 1.5× the raw node:http SSE server',
      figure: `${(ours.connect_ms / 1000).toFixed(2)} s vs ${(base.connect_ms / 1000).toFixed(2)} s (${ratio(connect)}); server CPU per stream opened ${Math.round(ours.connect_server_cpu_us_per_stream)} vs ${Math.round(base.connect_server_cpu_us_per_stream)} µs (${ratio(ours.connect_server_cpu_us_per_stream / base.connect_server_cpu_us_per_stream)})`,
      verdict: connect <= 1.5 ? 'met' : 'missed',
    });
    const rss = ours.idle_rss_mb / base.idle_rss_mb;
    out.push({
      name: `Server RSS with ${n} streams open`,
      goal: '≤ 1.3× the raw server',
      figure: `${Math.round(ours.idle_rss_mb)} MB vs ${Math.round(base.idle_rss_mb)} MB (${ratio(rss)})`,
      verdict: rss <= 1.3 ? 'met' : 'missed',
    });
  }
  for (const n of [...new Set(rows.filter((r) => r.shape === 'hot').map((r) => r.subscribers))]) {
    for (const at of part.plan.hot?.rates ?? []) {
      const b = pick('baseline', 'hot', n, at);
      const j = pick('job-status', 'hot', n, at);
      if (!b || !j) continue;
      const p99 = j.latency_ms.p99 / b.latency_ms.p99;
      out.push({
        name: `One job watched by ${n.toLocaleString('en-US')} streams, ${at} updates/s`,
        goal: 'p99 ≤ 1.5× raw, 0 lost; folded updates shown',
        figure: `p99 ${ms(j.latency_ms.p99)} vs ${ms(b.latency_ms.p99)} (${ratio(p99)}); ${j.emitted.toLocaleString('en-US')} updates went out as ${j.published.toLocaleString('en-US')} events (${j.folded.toLocaleString('en-US')} folded), raw ${b.published.toLocaleString('en-US')}; lost ${j.lost} of ${j.expected.toLocaleString('en-US')}`,
        verdict: p99 <= 1.5 && j.lost === 0 ? 'met' : 'missed',
      });
    }
  }
  return out;
}

function browserTargets(part) {
  const out = [];
  const demo = part?.demo;
  const standIn = part?.bench?.standIn;
  const standInNote = (field) =>
    standIn && !standIn.skipped ? `; on the bench's stand-in page (not the demo): p95 ${ms(standIn[field].p95)} over ${standIn[field].n}` : '';
  for (const [field, name] of [
    ['click_to_tile_ms', 'Click "Push now" to tile showing queued (demo)'],
    ['emit_to_dom_ms', 'Registry emit to tile DOM (demo)'],
  ]) {
    const goal = 'p95 < 50 ms';
    if (!part || part.error) out.push({ name, goal, figure: '', verdict: 'error', note: part?.error ?? 'not run' });
    else if (demo.skipped) out.push({ name, goal, figure: '', verdict: 'skipped', note: `${demo.skipped}${standInNote(field)}` });
    else {
      const p = demo[field];
      out.push({ name, goal, figure: `p95 ${ms(p.p95)} (p50 ${ms(p.p50)}, max ${ms(p.max)}, n ${p.n})`, verdict: p.p95 !== null && p.p95 < 50 ? 'met' : 'missed' });
    }
  }
  const many = part?.bench?.manyTiles;
  const names = ['200 tiles at 50 updates/s: one stream open', '200 tiles at 50 updates/s: no long tasks over 50 ms'];
  if (!many) {
    const note = part?.error ?? part?.bench?.skipped ?? 'not run';
    for (const name of names) out.push({ name, goal: '', figure: '', verdict: part?.error ? 'error' : 'skipped', note });
  } else {
    const one = many.streams_open === 1 && many.streams_opened_during_updates === 0 && many.other_api_requests_during_updates === 0;
    out.push({
      name: names[0],
      goal: '1 stream, no polling',
      figure: `${many.streams_open} open, ${many.streams_opened_during_updates} opened and ${many.other_api_requests_during_updates} other requests during the updates`,
      verdict: one ? 'met' : 'missed',
    });
    out.push({
      name: names[1],
      goal: '0 long tasks',
      figure: `${many.busy.long_tasks} long tasks (longest ${ms(many.busy.longest_task_ms)}); main thread ${many.busy.main_thread_ms_per_s.toFixed(0)} ms/s (idle page ${many.idle.main_thread_ms_per_s.toFixed(0)} ms/s)`,
      verdict: many.busy.long_tasks === 0 ? 'met' : 'missed',
    });
  }
  const tabs = part?.bench?.manyTabs;
  if (tabs) {
    const one = tabs.streams_opened_during_load === 1 && tabs.streams_opened_during_updates === 0 && tabs.other_api_requests_during_updates === 0;
    const all = tabs.tiles_up_to_date_per_tab.every((n) => n === tabs.tiles_moved);
    out.push({
      name: `${tabs.tiles} tiles in ${tabs.tabs} tabs: one stream, every tile up to date`,
      goal: '1 stream for all tabs, no polling, every tile current',
      figure: `${tabs.streams_opened_during_load} stream(s) opened for ${tabs.tabs} tabs, ${tabs.streams_opened_during_updates} during the updates, ${tabs.other_api_requests_during_updates} other requests; up to date per tab: ${tabs.tiles_up_to_date_per_tab.join(', ')} of ${tabs.tiles_moved}`,
      verdict: one && all ? 'met' : 'missed',
    });
  }
  return out;
}

function sizeTargets(part) {
  if (!part || part.error) return [{ name: 'Size', goal: '', figure: '', verdict: 'error', note: part?.error ?? 'not run' }];
  return part.rows.map((row) => ({
    name: `Size: ${row.name}`,
    goal: `≤ ${row.budget / KB} KB min+gzip`,
    figure: row.skipped ? '' : `${(row.gzip / KB).toFixed(2)} KB (${row.gzip} B; ${ratio(row.gzip / row.budget)} of budget)`,
    verdict: row.skipped ? 'skipped' : row.gzip <= row.budget ? 'met' : 'missed',
    ...(row.skipped ? { note: row.skipped } : {}),
  }));
}

function storeTargets(part) {
  const name = 'History query p99, filtered page';
  const goal = '< 10 ms';
  if (!part || part.error) return [{ name, goal, figure: '', verdict: 'error', note: part?.error ?? 'not run' }];
  const writes = part.coalescing_off.per_s / part.raw.per_s;
  const filtered = Object.entries(part.history.queries).filter(([query]) => !query.startsWith('no filter'));
  const [worstName, worst] = filtered.reduce((a, b) => (b[1].p99 > a[1].p99 ? b : a));
  return [
    {
      name: 'SQLite store, progress writes with coalescing off',
      goal: '≥ 0.6× raw better-sqlite3 doing the same two writes',
      figure: `${Math.round(part.coalescing_off.per_s).toLocaleString('en-US')} vs ${Math.round(part.raw.per_s).toLocaleString('en-US')} updates/s (${ratio(writes)}); all written: ${part.coalescing_off.all_written}`,
      verdict: writes >= 0.6 && part.coalescing_off.all_written ? 'met' : 'missed',
    },
    {
      name: `${name}, ${part.history.rows.toLocaleString('en-US')} jobs`,
      goal,
      figure: `worst ${ms(worst.p99)} (${worstName}); the other filtered queries: at most ${ms(Math.max(0, ...filtered.filter(([query]) => query !== worstName).map(([, q]) => q.p99)))}`,
      verdict: worst.p99 < 10 ? 'met' : 'missed',
    },
  ];
}

export function evaluateTargets(results) {
  const { parts, meta } = results;
  const list = [
    ...('fanout' in parts ? [...fanoutTargets(parts.fanout), ...streamTargets(parts.fanout)] : []),
    ...('polling' in parts ? pollingTargets(parts.polling) : []),
    ...('browser' in parts ? browserTargets(parts.browser) : []),
    ...('size' in parts ? sizeTargets(parts.size) : []),
    ...('store' in parts ? storeTargets(parts.store) : []),
  ];
  if (meta.quick) for (const t of list) if (t.verdict === 'met' || t.verdict === 'missed') t.note = [t.note, 'quick run: smaller sizes, indicative only'].filter(Boolean).join('; ');
  return list;
}
