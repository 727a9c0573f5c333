/**
 * Renders a results object (as written to bench/results.json) as Markdown tables: the
 * run and machine, the targets with their verdicts, then each part's figures, with the
 * job-status figures set against the baseline measured in the same run.
 */
const KB = 1024;
const num = (v, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ms = (v) => (v === null || v === undefined ? '–' : num(v, v < 10 ? 2 : 1));
const ratio = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const cell = (v) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head, rows) {
  return [`| ${head.map(cell).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

function machine(meta) {
  return [
    `Run ${meta.started_at} (${meta.quick ? 'quick' : 'full'}${meta.only ? `, only ${meta.only.join(', ')}` : ''}), ${num(meta.duration_s, 0)} s, commit ${meta.commit ?? 'unknown'}.`,
    `Machine: ${meta.cpus} × ${meta.cpu_model}, ${num(meta.memory_gib, 1)} GiB RAM, ${meta.os}; Node ${meta.node}; ${meta.chromium ?? 'Chromium: unknown'}; open-file limit ${meta.open_file_limit ?? 'unknown'}.`,
    `Load average (1 min) at start ${num(meta.load_start?.[0], 2)}, at end ${num(meta.load_end?.[0], 2)}${meta.load_start?.[0] > meta.cpus * 0.5 ? ' — the machine was busy with other work: treat latencies as indicative' : ''}.`,
  ].join('\n');
}

function targets(list) {
  return table(['target', 'goal', 'figure', 'verdict'], list.map((t) => [t.name, t.goal, [t.figure, t.note].filter(Boolean).join(' — '), t.verdict]));
}

function fanout(part) {
  if (part.error) return `Error: ${part.error}`;
  const rows = [];
  const key = (r) => `${r.subscribers}|${r.shape}|${r.rate}`;
  const base = new Map(part.rows.filter((r) => r.impl === 'baseline').map((r) => [key(r), r]));
  for (const r of part.rows) {
    const b = r.impl === 'job-status' ? base.get(key(r)) : null;
    rows.push([
      num(r.subscribers),
      r.shape,
      num(r.rate),
      r.impl,
      num(r.connected),
      `${num(r.emitted)} / ${num(r.published)} / ${num(r.folded)}`,
      `${num(r.received)} / ${num(r.expected)}`,
      num(r.lost),
      num(r.closed_during_run),
      ms(r.latency_ms.p50),
      ms(r.latency_ms.p99),
      ms(r.latency_ms.max),
      b ? ratio(r.latency_ms.p99 / b.latency_ms.p99) : '',
      num(r.delivered_per_s),
      b ? ratio(r.delivered_per_s / b.delivered_per_s) : '',
      `${num(r.server_cpu_pct)}% (${num(r.server_cpu_us_per_delivery, 1)} µs/ev)`,
      num(r.server_peak_rss_mb),
      num(r.rss_per_idle_conn_kb, 1),
      r.client_cpu_pct.map((c) => `${num(c)}%`).join(', '),
      `${ms(r.server_loop_delay_ms?.p99)} / ${ms(r.server_loop_delay_ms?.max)}`,
    ]);
  }
  const p = part.plan;
  return [
    `${p.durationMs / 1000} s of updates per row, then up to ${p.drainMs / 1000} s to drain; ${p.clientProcesses} client processes; broadcast spreads updates over ${p.broadcastJobs} jobs, topic has subscribers/10 jobs with 10 streams each, hot has one job that every stream watches; both servers cut a reader off past ${p.maxBufferedBytes / KB} KiB unsent ("streams cut"). A server that cannot keep up is offered fewer updates (the emitter stops 2 s after the window; see the notes), so "delivered/s" is its sustained rate. "server CPU" is the share of one core from the start of the updates to the end of the drain, and CPU time per delivered event. Latency: receive time minus the emit time stamped by the job handler (job-status) or the broadcaster, in ms. Ratios are job-status ÷ baseline. "updates / events / folded": the changes the handlers made, the events the server published, and the changes that went out folded into a later event (see docs/server.md, "Folding"); "expected" is events × the streams that watch each job.`,
    '',
    table(
      ['subscribers', 'shape', 'updates/s', 'server', 'connected', 'updates / events / folded', 'received / expected', 'lost', 'streams cut', 'p50', 'p99', 'max', 'p99 ratio', 'delivered/s', 'rate ratio', 'server CPU', 'server peak RSS MB', 'RSS per idle conn KB', 'client CPU', 'loop delay p99 / max'],
      rows,
    ),
    ...scaling(part),
    ...(part.notes?.length ? ['', ...part.notes.map((n) => `Note: ${n}`)] : []),
  ].join('\n');
}

/** How connect time, idle RSS and p99 grow with the number of streams, per shape, against the baseline. */
function scaling(part) {
  const rate = Math.min(...part.plan.rates);
  const out = [];
  for (const shape of ['topic', 'broadcast']) {
    const sizes = [...new Set(part.rows.filter((r) => r.shape === shape).map((r) => r.subscribers))].sort((a, b) => a - b);
    if (sizes.length < 2) continue;
    const pick = (impl, n) => part.rows.find((r) => r.impl === impl && r.shape === shape && r.subscribers === n && r.rate === rate);
    const rows = sizes.map((n) => {
      const b = pick('baseline', n);
      const j = pick('job-status', n);
      const three = (f, fmt) => [b ? fmt(f(b)) : '–', j ? fmt(f(j)) : '–', b && j ? ratio(f(j) / f(b)) : '–'];
      return [
        num(n),
        ...three((r) => r.connect_ms, num),
        ...three((r) => r.connect_server_cpu_us_per_stream, (v) => num(v, 0)),
        ...three((r) => r.idle_rss_mb ?? r.server_peak_rss_mb, num),
        ...three((r) => r.latency_ms.p99, ms),
      ];
    });
    out.push(
      '',
      `Scaling, ${shape}, ${num(rate)} updates/s: how opening the streams (wall time, and the server's CPU per stream opened, steadier on a busy machine), the server's RSS with them open (idle) and p99 grow with the number of streams.`,
      '',
      table(['streams', 'connect ms (baseline)', 'connect ms (job-status)', 'ratio', 'server CPU µs per open (baseline)', 'server CPU µs per open (job-status)', 'ratio', 'idle RSS MB (baseline)', 'idle RSS MB (job-status)', 'ratio', 'p99 ms (baseline)', 'p99 ms (job-status)', 'ratio'], rows),
    );
  }
  return out;
}

function polling(part) {
  if (part.error) return `Error: ${part.error}`;
  const bare = part.rows.find((r) => r.key === 'bare');
  const p = part.plan;
  const byIds = part.rows.filter((r) => r.ids);
  const curve = byIds.length > 1
    ? [
        '',
        `Cost by number of ids (\`GET /?ids=\`, half running jobs, half finished ones from SQLite): server µs per request ${byIds.map((r) => `${r.ids}: ${num(r.server_cpu_us_per_req, 1)}`).join(', ')}; about ${num((byIds.at(-1).server_cpu_us_per_req - byIds[0].server_cpu_us_per_req) / (byIds.at(-1).ids - byIds[0].ids), 1)} µs per extra id (the bare route: ${num(bare.server_cpu_us_per_req, 1)} µs).`,
      ]
    : [];
  return [
    `${p.connections} keep-alive connections, one request in flight each; ${p.rounds} rounds of ${p.sliceMs / 1000} s per scenario, scenarios taking turns. Ratio: req/s ÷ the bare route's.`,
    '',
    table(
      ['request', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'max ms', 'server CPU', 'server µs/req', 'client CPU', 'answers'],
      part.rows.map((r) => [
        r.scenario,
        num(r.req_per_s),
        ratio(r.req_per_s / bare.req_per_s),
        ms(r.latency_ms.p50),
        ms(r.latency_ms.p99),
        ms(r.latency_ms.max),
        `${num(r.server_cpu_pct)}%`,
        num(r.server_cpu_us_per_req, 1),
        `${num(r.client_cpu_pct)}%`,
        Object.entries(r.statuses).map(([s, n]) => `${s}: ${num(n)}`).join(', '),
      ]),
    ),
    ...curve,
  ].join('\n');
}

function browser(part) {
  if (part.error) return `Error: ${part.error}`;
  const out = [];
  const rows = [];
  const add = (page, result) => {
    if (!result) return;
    if (result.skipped) return void rows.push([page, 'skipped', result.skipped, '', '', '', '', '']);
    for (const [field, what] of [['click_to_tile_ms', 'click → queued'], ['emit_to_dom_ms', 'emit → DOM']]) {
      const p = result[field];
      rows.push([page, what, num(p.n), ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max), field === 'click_to_tile_ms' ? `failures ${result.failures}` : `clock offset ${ms(result.clock.offset_ms)}`]);
    }
  };
  add('demo /admin/sync-control', part.demo);
  add("bench stand-in page (not the demo)", part.bench?.standIn);
  out.push(table(['page', 'measure', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', ''], rows));
  const many = part.bench?.manyTiles;
  if (many) {
    out.push('', table(
      ['page', 'window', 'main thread ms/s', 'long tasks > 50 ms', 'longest ms', 'streams open', 'requests besides the stream', 'tiles up to date'],
      [
        [`${many.tiles} tiles, idle`, `${num(many.idle.seconds, 1)} s`, num(many.idle.main_thread_ms_per_s), num(many.idle.long_tasks), ms(many.idle.longest_task_ms), '', '', ''],
        [`${many.tiles} tiles, ${many.rate} updates/s`, `${num(many.busy.seconds, 1)} s`, num(many.busy.main_thread_ms_per_s), num(many.busy.long_tasks), ms(many.busy.longest_task_ms), num(many.streams_open), num(many.other_api_requests_during_updates), `${many.tiles_up_to_date} / ${many.tiles_moved}`],
      ],
    ));
  } else if (part.bench?.skipped) out.push('', `Many tiles: skipped: ${part.bench.skipped}`);
  const tabs = part.bench?.manyTabs;
  if (tabs) {
    out.push('', table(
      ['page', 'streams opened (load / updates)', 'streams open', 'requests besides the stream', 'tiles up to date, per tab', 'every tab current after'],
      [[`${tabs.tiles} tiles in ${tabs.tabs} tabs of one browser, ${tabs.rate} updates/s`, `${tabs.streams_opened_during_load} / ${tabs.streams_opened_during_updates}`, num(tabs.streams_open), num(tabs.other_api_requests_during_updates), tabs.tiles_up_to_date_per_tab.map((n) => `${n} / ${tabs.tiles_moved}`).join(', '), tabs.caught_up_ms_after_updates === null ? 'not within 20 s' : `${num(tabs.caught_up_ms_after_updates)} ms`]],
    ));
  }
  return out.join('\n');
}

function size(part) {
  if (part.error) return `Error: ${part.error}`;
  return table(
    ['bundle', 'entries (components/src)', 'min B', 'min+gzip B', 'budget', 'of budget'],
    part.rows.map((r) => (r.skipped ? [r.name, r.files.join(' + '), 'skipped', r.skipped, `${r.budget / KB} KB`, ''] : [r.name, r.files.join(' + '), num(r.min), num(r.gzip), `${r.budget / KB} KB`, ratio(r.gzip / r.budget)])),
  );
}

function store(part) {
  if (part.error) return `Error: ${part.error}`;
  const raw = part.raw.per_s;
  const h = part.history;
  return [
    table(
      ['progress writes', 'updates/s', 'ratio to raw', 'all written'],
      [
        ['raw better-sqlite3, 2 statements per update, 1 transaction each (baseline)', num(raw), '1.00×', ''],
        ['SQLite store, coalescing off (coalesceMs 0)', num(part.coalescing_off.per_s), ratio(part.coalescing_off.per_s / raw), String(part.coalescing_off.all_written)],
        ['SQLite store, coalescing on (coalesceMs 250)', num(part.coalescing_on.per_s), ratio(part.coalescing_on.per_s / raw), String(part.coalescing_on.all_written)],
      ],
    ),
    '',
    `History: ${num(h.rows)} finished jobs over 30 days, 8 kinds, 40 targets (filled in ${num(h.fill_s, 1)} s, ${num(h.db_mb)} MB), pages of 20 newest first, up to ${part.plan.repeats} queries of each type with random values (fewer when a type passes ${part.plan.budgetMs / 1000} s).`,
    '',
    table(
      ['query', 'n', 'p50 ms', 'p99 ms', 'max ms', 'rows per page'],
      Object.entries(h.queries).map(([name, q]) => [name, num(q.n), ms(q.p50), ms(q.p99), ms(q.max), num(q.rows, 1)]),
    ),
  ].join('\n');
}

function telemetry(part) {
  if (part.error) return `Error: ${part.error}`;
  const { summary, plan } = part;
  const base = summary.none.cpu_us_per_job;
  const names = { none: 'no telemetry (baseline)', api: 'openTelemetry(), no SDK registered', sdk: 'openTelemetry() with the metrics and trace SDKs' };
  return [
    `${num(plan.jobs)} jobs per round through \`POST /\` (three phases and progress each, memory store, ${plan.parallel} busy at once), ${plan.rounds} rounds per variant, taking turns. CPU time of the server process per job (median of the rounds); jobs/s depends on what else the machine runs. Noise: the no-telemetry rounds spread ±${num((part.noise / 2) * 100, 1)} % around their median.`,
    '',
    table(
      ['variant', 'CPU µs per job', 'ratio to baseline', 'min – max µs', 'jobs/s'],
      Object.entries(summary).map(([variant, s]) => [names[variant] ?? variant, num(s.cpu_us_per_job), ratio(s.cpu_us_per_job / base), `${num(s.cpu_min)} – ${num(s.cpu_max)}`, num(s.jobs_per_s)]),
    ),
  ].join('\n');
}

export function renderReport(results) {
  const { parts } = results;
  const sections = [machine(results.meta), '', '### Targets', '', targets(results.targets)];
  const add = (key, title, render) => {
    if (!(key in parts)) return;
    sections.push('', `### ${title}`, '', render(parts[key]));
  };
  add('fanout', '1. SSE fan-out', fanout);
  add('polling', '2. Polling cost', polling);
  add('browser', '3–4. Browser: click to tile, emit to DOM, many tiles', browser);
  add('size', '5. Size', size);
  add('store', '6. Store', store);
  add('telemetry', '7. Telemetry cost', telemetry);
  return sections.join('\n');
}
