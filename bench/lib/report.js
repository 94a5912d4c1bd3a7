'use strict';
// Turns the end-to-end results into the one table (console and Markdown), the goal checks, and the description
// of the machine. Only measured figures appear; a goal that is missed shows as missed.
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

function fmtInt(n) {
  return n === undefined || n === null || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
}
function fmtPct(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  return x < 0.01 ? `${(x * 100).toFixed(2)}%` : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
function fmtMB(n, digits = 0) {
  return n === undefined || n === null ? '-' : n.toFixed(digits);
}
function fmtGzip(g) {
  return g === 'auto' ? 'auto' : g === true ? 'on' : g === false ? 'off' : '-';
}

/** CPU seconds per million lines: three significant figures are more than this machine's noise allows. */
function fmtCpu(x) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  return x >= 100 ? fmtInt(x) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
function fmtRange(range, f) {
  return range ? `${f(range[0])}-${f(range[1])}` : '-';
}
function median(values) {
  const sorted = values.filter((x) => x !== undefined && x !== null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!sorted.length) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const COLUMNS = [
  ['contender', (r) => r.label],
  ['scenario', (r) => r.scenario],
  ['gzip', (r) => fmtGzip(r.gzip)],
  ['arrived lines/s', (r) => fmtInt(r.arrivedLinesPerSec)],
  ['accepted lines/s', (r) => fmtInt(r.acceptedLinesPerSec)],
  ['accepted MB/s', (r) => (r.acceptedBytesPerSec === undefined ? '-' : (r.acceptedBytesPerSec / 1e6).toFixed(1))],
  ['rounds', (r) => (r.rounds === undefined ? '-' : String(r.rounds))],
  ['of Node-RED', (r) => fmtPct(r.ofNodeRed)],
  ['of Node-RED min-max', (r) => fmtRange(r.ofNodeRedRange, fmtPct)],
  ['CPU s / M lines', (r) => fmtCpu(r.cpuSecondsPerMillion)],
  ['of remote', (r) => fmtPct(r.ofRemote)],
  ['sent', (r) => fmtInt(r.sent)],
  ['refused', (r) => fmtInt(r.refused)],
  ['arrived', (r) => fmtInt(r.arrived)],
  ['lost', (r) => fmtInt(r.lost)],
  ['peak RSS MB', (r) => fmtMB(r.peakRssMB)],
  ['RSS growth MB', (r) => fmtMB(r.rssGrowthMB)],
  ['beyond Node-RED alone MB', (r) => fmtMB(r.ownGrowthMB)],
];

function cells(row) {
  if (row.error) return [row.label, row.scenario, '-', `FAILED: ${row.error.slice(0, 80)}`, ...COLUMNS.slice(4).map(() => '')];
  return COLUMNS.map(([, f]) => f(row));
}

/** Rows for the ceilings, in the same columns, so the table reads top to bottom. */
function ceilingRows(c) {
  const rows = [];
  for (const [key, label] of [['1', '1 line'], ['100', '100 lines'], ['500k', '500 kB']]) {
    const nr = c.nodeRed[key];
    if (!nr) continue;
    rows.push({ label: 'ceiling: Node-RED (counter node)', scenario: `throughput ${label}`, gzip: undefined, rounds: nr.rounds, acceptedLinesPerSec: nr.linesPerSec, acceptedBytesPerSec: nr.bytesPerSec, arrivedLinesPerSec: undefined, ofNodeRed: 1, cpuSecondsPerMillion: nr.cpuSecondsPerMillion, peakRssMB: nr.peakRssMB, rssGrowthMB: nr.rssGrowthMB });
  }
  const aloneLabels = { outage: 'outage load', restart: 'restart load', backlog: 'backlog fill, 500 kB' };
  for (const [key, label] of Object.entries(aloneLabels)) {
    const o = c.nodeRedAlone && c.nodeRedAlone[key];
    if (o) rows.push({ label: 'Node-RED alone (counter node, fresh process)', scenario: `${label}, ${Math.round(o.seconds)} s`, acceptedLinesPerSec: o.linesPerSec, peakRssMB: o.peakRssMB, rssGrowthMB: o.rssGrowthMB });
  }
  for (const [key, gzip] of [['gzip', true], ['plain', false]]) {
    const r = c.remote[key];
    for (const run of r ? r.runs || [r] : []) {
      rows.push({ label: `ceiling: remote (raw undici, ${run.concurrency} in flight)`, scenario: '500 kB bodies', gzip, arrivedLinesPerSec: run.linesPerSec, ofRemote: run.linesPerSec / r.linesPerSec });
    }
    const ic = c.influxdbClient[key];
    if (ic) rows.push({ label: 'influxdb-client WriteApi loop (no Node-RED)', scenario: '500 kB batches', gzip, arrivedLinesPerSec: ic.linesPerSec, ofRemote: r ? ic.linesPerSec / r.linesPerSec : undefined });
  }
  if (c.disk) rows.push({ label: `ceiling: disk (write+fdatasync 500 kB)`, scenario: `${fmtInt(c.disk.fsyncsPerSec)} fdatasync/s`, acceptedBytesPerSec: c.disk.bytesPerSec });
  return rows;
}

/** Node-RED's ceiling with Node-RED pinned to one core, above that run's rows. */
function oneCoreCeilingRows(c) {
  return SHAPE_LABELS.filter(([key]) => c.nodeRedOneCore && c.nodeRedOneCore[key]).map(([key, label]) => {
    const nr = c.nodeRedOneCore[key];
    return { label: 'ceiling: Node-RED (counter node)', scenario: `throughput ${label}, Node-RED on 1 core`, rounds: nr.rounds, acceptedLinesPerSec: nr.linesPerSec, acceptedBytesPerSec: nr.bytesPerSec, ofNodeRed: 1, cpuSecondsPerMillion: nr.cpuSecondsPerMillion, peakRssMB: nr.peakRssMB, rssGrowthMB: nr.rssGrowthMB };
  });
}

function allRows(result) {
  return [...ceilingRows(result.ceilings), ...result.rows, ...oneCoreCeilingRows(result.ceilings), ...(result.oneCoreRows || [])];
}

function consoleTable(result) {
  const header = COLUMNS.map(([h]) => h);
  const body = allRows(result).map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i < 3 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(result) {
  const header = COLUMNS.map(([h]) => h);
  const body = allRows(result).map(cells);
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const SHAPE_LABELS = [['1', '1 line'], ['100', '100 lines'], ['500k', '500 kB']];

/**
 * "CPU seconds per million lines, end to end": the Node-RED process's CPU from the first request to the last
 * line delivered, per contender and shape, on both cores and with Node-RED pinned to one. Each cell: the
 * median over rounds and the spread (min-max). The counter node (Node-RED's ceiling) is the floor.
 */
function cpuTable(result, markdown) {
  const c = result.ceilings || {};
  const byKey = new Map();
  const add = (cores, row) => {
    const key = `${row.label}|${row.gzip}`;
    if (!byKey.has(key)) byKey.set(key, { label: row.label, gzip: row.gzip, cells: {} });
    byKey.get(key).cells[`${cores}:${row.shape}`] = row;
  };
  for (const [shape] of SHAPE_LABELS) {
    if (c.nodeRed && c.nodeRed[shape]) add(2, { label: 'Node-RED alone (counter node)', shape, ...c.nodeRed[shape] });
    if (c.nodeRedOneCore && c.nodeRedOneCore[shape]) add(1, { label: 'Node-RED alone (counter node)', shape, ...c.nodeRedOneCore[shape] });
  }
  for (const row of result.rows || []) if (row.cores && !row.error) add(2, row);
  for (const row of result.oneCoreRows || []) if (!row.error) add(1, row);
  if (!byKey.size) return '';
  const columns = [];
  for (const cores of [2, 1]) for (const [shape, label] of SHAPE_LABELS) columns.push([`${cores}:${shape}`, `${label}, ${cores === 2 ? 'both cores' : '1 core'}`]);
  const header = ['contender', 'gzip', ...columns.map(([, h]) => h)];
  const body = [...byKey.values()].map((r) => [
    r.label,
    fmtGzip(r.gzip),
    ...columns.map(([k]) => {
      const cell = r.cells[k];
      if (!cell) return '-';
      return `${fmtCpu(cell.cpuSecondsPerMillion)}${cell.cpuRange && cell.cpuRange[0] !== cell.cpuRange[1] ? ` (${fmtRange(cell.cpuRange, fmtCpu)})` : ''}`;
    }),
  ]);
  if (markdown) {
    return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => r.map((x, i) => (i < 2 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The raw undici loop's run with `concurrency` requests in flight (the best run if that one was not made). */
function rawLoop(ceilings, key, concurrency) {
  const remote = ceilings.remote[key];
  return (remote.runs || []).find((r) => r.concurrency === concurrency) || remote;
}

/** Per-round ratio a/b of `field` between two rows measured in the same rounds; the median and the spread. */
function pairedRatio(a, b, field) {
  const ratios = [];
  for (const x of a.perRound || []) {
    const y = (b.perRound || []).find((r) => r.round === x.round);
    if (y && x[field] !== undefined && y[field]) ratios.push(x[field] / y[field]);
  }
  if (!ratios.length) return undefined;
  return { median: median(ratios), range: [Math.min(...ratios), Math.max(...ratios)], rounds: ratios.length };
}

function fmtRatio(r) {
  return r ? `${r.median.toFixed(2)}x (${r.range[0].toFixed(2)}-${r.range[1].toFixed(2)}, ${r.rounds} round${r.rounds === 1 ? '' : 's'})` : 'not measured';
}

/** The writer benchmark's rows (bench/writer.js) with the remote on a CPU of its own, if that component ran. */
function ownCpuWriterRows(components) {
  const c = components && components['writer, remote on its own CPU'];
  return c && Array.isArray(c.result) ? c.result : undefined;
}

/**
 * The goals (issues 18 and 19 and the memory goal before them), each checked against this run's figures. A
 * goal whose figures were not measured in this run (a scenario or component left out, too few rounds) shows
 * pass: null (no verdict).
 */
function evaluateGoals(result, components) {
  const rows = result.rows.filter((r) => !r.error);
  const ours = rows.filter((r) => r.contender === 'replication');
  const c = result.ceilings;
  const goals = [];
  const add = (goal, measured, pass) => goals.push({ goal, measured, pass });

  // Issue 18, through Node-RED: our share of Node-RED's ceiling, per round, against the memory-only contenders'.
  for (const [shape, label, bar] of [['1', '1-line', 0.8], ['100', '100-line', 0.6], ['500k', '500 kB', 0.6]]) {
    const mine = ours.filter((r) => r.shape === shape && r.ofNodeRed !== undefined);
    if (!mine.length) continue;
    const others = rows.filter((r) => r.shape === shape && (r.contender === 'client-writeapi' || r.contender === 'contrib-batch') && r.ofNodeRed !== undefined);
    const best = others.reduce((a, b) => (!a || b.ofNodeRed > a.ofNodeRed ? b : a), undefined);
    // What waiting for the disk costs by itself: the counter node completing each message after its fdatasync.
    const floor = rows.find((r) => r.shape === shape && r.contender === 'durable-floor' && r.ofNodeRed !== undefined);
    add(
      `${label} messages through Node-RED (http in -> replication -> Complete): >= ${bar * 100}% of Node-RED's ceiling, durable`,
      mine.map((r) => `gzip ${fmtGzip(r.gzip)}: median ${fmtPct(r.ofNodeRed)} (rounds ${fmtRange(r.ofNodeRedRange, fmtPct)}), ${fmtInt(r.arrivedLinesPerSec)} lines/s` + (floor ? `, ${fmtRatio(pairedRatio(r, floor, 'arrivedLinesPerSec'))} of the durable floor` : '')).join('; ') +
        (best ? `; best memory-only: ${best.label} gzip ${fmtGzip(best.gzip)} ${fmtPct(best.ofNodeRed)}` : '') +
        (floor ? `; durable floor (counter node + fdatasync): ${fmtPct(floor.ofNodeRed)} (rounds ${fmtRange(floor.ofNodeRedRange, fmtPct)})` : ''),
      mine.every((r) => r.ofNodeRed >= bar),
    );
  }

  // Issue 18, drain: the writer against the raw loop with the remote on a CPU of its own (bench/writer.js).
  const writerRows = ownCpuWriterRows(components);
  if (writerRows) {
    const parts = [];
    let pass = true;
    for (const [gzip, bar] of [[true, 0.9], [false, 0.95]]) {
      const w = writerRows.find((r) => r.gzip === gzip && r.method.startsWith('StreamWriter (DurableQueue'));
      const noise = writerRows.find((r) => r.gzip === gzip && r.method.startsWith('raw undici loop again'));
      if (!w) continue;
      parts.push(`gzip ${fmtGzip(gzip)}: median ${fmtPct(w.medianRatioToRaw)} of ${w.rounds} rounds (goal ${bar * 100}%; rounds ${fmtRange([Math.min(...w.roundRatios), Math.max(...w.roundRatios)], fmtPct)})` + (noise ? `, raw loop / itself ${fmtPct(noise.medianRatioToRaw)} (${fmtRange([Math.min(...noise.roundRatios), Math.max(...noise.roundRatios)], fmtPct)}): the noise floor` : ''));
      pass = pass && w.medianRatioToRaw >= bar;
    }
    // A quick run's few rounds are shown, but give no verdict: the goal asks for the median of 9 or more.
    const enough = writerRows.every((r) => r.rounds >= 9);
    add(
      'Drain, remote on a CPU of its own: writer >= 90% of the raw undici loop with gzip, >= 95% without (median of >= 9 rounds)',
      `${parts.join('; ')}; ${writerRows[0].placement}${enough ? '' : '; too few rounds for a verdict'}`,
      enough ? pass : null,
    );
  } else {
    add('Drain, remote on a CPU of its own: writer >= 90% of the raw undici loop with gzip, >= 95% without (median of >= 9 rounds)', 'not measured in this run (component benchmarks left out)', null);
  }

  const backlogs = ours.filter((r) => r.scenario.startsWith('backlog'));
  if (backlogs.length) {
    const parts = [];
    let pass = true;
    for (const b of backlogs) {
      const key = b.gzip === false ? 'plain' : 'gzip';
      // Like for like: the raw loop sending one request at a time (the stream's default, which keeps order),
      // measured between the parts of the drain; the figure is the median of the parts' ratios.
      const raw = b.rawLoopLinesPerSec || rawLoop(c, key, 1).linesPerSec;
      const ratio = b.drainRatioMedian !== undefined ? b.drainRatioMedian : b.arrivedLinesPerSec / raw;
      const client = c.influxdbClient[key].linesPerSec;
      const byPart = b.drainSegments ? ` (parts: ${b.drainSegments.map((x) => fmtPct(x.ratio)).join(', ')})` : '';
      parts.push(`gzip ${fmtGzip(b.gzip)}: ${fmtInt(b.arrivedLinesPerSec)} lines/s, median ${fmtPct(ratio)} of the raw loop with 1 in flight (${fmtInt(raw)})${byPart}, ${(b.arrivedLinesPerSec / client).toFixed(2)}x influxdb-client (${fmtInt(client)})`);
      pass = pass && ratio >= 0.85;
    }
    add('Backlog drain through Node-RED, remote on the same cores: >= 85% of the raw undici loop', parts.join('; '), pass);
  }

  // Issue 18, CPU per million lines end to end: ours at or below the influxdb-client WriteApi node's, round by round.
  for (const [cores, set] of [[2, result.rows], [1, result.oneCoreRows]]) {
    const okRows = (set || []).filter((r) => !r.error && r.shape);
    const mine = okRows.filter((r) => r.contender === 'replication');
    const parts = [];
    let pass = true;
    for (const r of mine) {
      const client = okRows.find((x) => x.contender === 'client-writeapi' && x.shape === r.shape && x.gzip === r.gzip);
      if (!client) continue;
      const ratio = pairedRatio(r, client, 'cpuSecondsPerMillion');
      const floor = okRows.find((x) => x.contender === 'durable-floor' && x.shape === r.shape);
      parts.push(
        `${SHAPE_LABELS.find(([k]) => k === r.shape)[1]} gzip ${fmtGzip(r.gzip)}: ${fmtCpu(r.cpuSecondsPerMillion)} vs ${fmtCpu(client.cpuSecondsPerMillion)} s, ${fmtRatio(ratio)}` +
          (floor ? ` (durable floor ${fmtCpu(floor.cpuSecondsPerMillion)} s)` : ''),
      );
      pass = pass && !!ratio && ratio.median <= 1;
    }
    const goal = `CPU seconds per million lines end to end, ${cores === 2 ? 'both cores' : 'Node-RED on 1 core'}: replication <= influxdb-client WriteApi node (median of per-round ratios)`;
    add(goal, parts.length ? parts.join('; ') : 'not measured in this run (throughput rounds without both contenders)', parts.length ? pass : null);
  }

  // Issue 19: the influxdb-write-in endpoint costs at most 10% more per message than the http-in example.
  {
    const parts = [];
    let pass = true;
    for (const r of rows.filter((x) => x.contender === 'write-in' && (x.shape === '1' || x.shape === '100'))) {
      const base = ours.find((x) => x.shape === r.shape && x.gzip === r.gzip && x.cores === r.cores);
      if (!base) continue;
      const cpuRatio = pairedRatio(r, base, 'cpuMsPerMessage');
      const speed = pairedRatio(r, base, 'arrivedLinesPerSec');
      parts.push(`${SHAPE_LABELS.find(([k]) => k === r.shape)[1]} gzip ${fmtGzip(r.gzip)}: CPU per message ${fmtRatio(cpuRatio)} (${r.cpuMsPerMessage.toFixed(2)} vs ${base.cpuMsPerMessage.toFixed(2)} ms), throughput ${fmtRatio(speed)}`);
      pass = pass && !!cpuRatio && !!speed && cpuRatio.median <= 1.1 && speed.median >= 1 / 1.1;
    }
    add(
      'influxdb-write-in + replication costs <= 110% of the http-in example per message (CPU per message and throughput, 1 and 100 lines)',
      parts.length ? parts.join('; ') : 'not measured in this run (throughput rounds without write-in and replication)',
      parts.length ? pass : null,
    );
  }

  const big = ours.filter((r) => r.shape === '500k');
  if (big.length && c.disk) {
    const best = Math.max(...big.map((r) => r.ofDisk));
    add(
      '500 kB messages: >= 70% of the disk\'s write+fdatasync throughput (the goal before issue 18)',
      big.map((r) => `gzip ${fmtGzip(r.gzip)}: ${fmtPct(r.ofDisk)} (${(r.acceptedBytesPerSec / 1e6).toFixed(1)} of ${(c.disk.bytesPerSec / 1e6).toFixed(0)} MB/s)`).join('; ') +
        // The bound every node shares: Node-RED handling the same messages with a node that does nothing.
        (c.nodeRed['500k'] ? `; Node-RED alone with the same messages: ${fmtPct(c.nodeRed['500k'].bytesPerSec / c.disk.bytesPerSec)} of the disk (${(c.nodeRed['500k'].bytesPerSec / 1e6).toFixed(1)} MB/s)` : ''),
      best >= 0.7,
    );
  }
  const faults = rows.filter((r) => r.scenario === 'outage' || r.scenario === 'restart');
  const ourFaults = faults.filter((r) => r.contender === 'replication');
  if (ourFaults.length) {
    add(
      'Outage and restart: zero lines lost',
      faults.map((r) => `${r.label} ${r.scenario}: ${fmtInt(r.lost)} of ${fmtInt(r.sent)} lost`).join('; '),
      ourFaults.every((r) => r.lost === 0),
    );
  }
  const memoryRows = ours.filter((r) => r.scenario === 'outage' || r.scenario === 'restart' || r.scenario.startsWith('backlog'));
  if (memoryRows.length) {
    // The package's own footprint: growth beyond Node-RED alone (a fresh process, same load), which grows by
    // itself as V8 lets handled messages' garbage pile up before a full collection.
    const own = memoryRows.map((r) => (r.ownGrowthMB !== undefined ? r.ownGrowthMB : r.rssGrowthMB));
    add(
      'Memory: peak RSS growth < 64 MB whatever the backlog (outage, restart, backlog runs), beyond Node-RED alone under the same load',
      memoryRows
        .map((r) => {
          const name = `${r.scenario}${r.scenario.startsWith('backlog') ? ` gzip ${fmtGzip(r.gzip)}` : ''}`;
          const alone = r.nodeRedAloneGrowthMB !== undefined ? `, Node-RED alone ${fmtMB(r.nodeRedAloneGrowthMB)} MB, beyond it ${fmtMB(r.ownGrowthMB)} MB` : '';
          const drain = r.drainRssGrowthMB !== undefined ? `, drain alone ${fmtMB(r.drainRssGrowthMB)} MB` : '';
          return `${name}: ${fmtMB(r.rssGrowthMB)} MB${alone}${drain}`;
        })
        .join('; '),
      Math.max(...own) < 64,
    );
  }
  const tp = ours.filter((r) => r.shape);
  if (tp.length) {
    // Node-RED alone here is the ceiling process with the same messages (see the ceiling rows).
    const beyond = (r) => r.rssGrowthMB - (c.nodeRed[r.shape] ? c.nodeRed[r.shape].rssGrowthMB : 0);
    const worst = tp.reduce((a, b) => (beyond(b) > beyond(a) ? b : a));
    const nr = c.nodeRed[worst.shape];
    add(
      'Memory under sustained load: same 64 MB bar, beyond Node-RED alone with the same messages',
      `worst: ${worst.scenario} gzip ${fmtGzip(worst.gzip)}: ${fmtMB(worst.rssGrowthMB)} MB` + (nr ? ` (Node-RED alone: ${fmtMB(nr.rssGrowthMB)} MB, beyond it ${fmtMB(beyond(worst))} MB)` : ''),
      beyond(worst) < 64,
    );
  }
  return goals;
}

function goalsText(goals, markdown) {
  if (markdown) {
    const met = (g) => (g.pass === null ? 'no verdict' : g.pass ? 'yes' : '**no**');
    return ['| goal | measured | met |', '| --- | --- | --- |', ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${met(g)} |`)].join('\n');
  }
  const met = (g) => (g.pass === null ? 'NO VERDICT' : g.pass ? 'MET       ' : 'MISSED    ');
  return goals.map((g) => `${met(g)} ${g.goal}\n        ${g.measured}`).join('\n');
}

function versionOf(pkg) {
  try {
    return require(path.join(ROOT, 'node_modules', pkg, 'package.json')).version;
  } catch {
    return 'unknown';
  }
}

function commandOutput(cmd, args) {
  try {
    // 2>&1: some tools (victoria-metrics -version) print their version on stderr.
    const r = require('child_process').spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
    return `${r.stdout || ''}${r.stderr || ''}`.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

function describeMachine() {
  const cpus = os.cpus();
  const df = commandOutput('df', ['-T', os.tmpdir()]).split('\n').pop().split(/\s+/);
  return {
    cpu: cpus.length ? cpus[0].model : 'unknown',
    cores: cpus.length,
    memoryGB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    os: `${readOsRelease()} (${os.type()} ${os.release()})`,
    node: process.version,
    tmpFileSystem: df.length >= 2 ? `${df[1]} on ${df[0]}` : 'unknown',
    // The Debian build prints nothing for -version: ask the package manager.
    victoriaMetrics: commandOutput('dpkg-query', ['-W', '-f', '${Version}', 'victoria-metrics']),
    nodeRed: versionOf('node-red'),
    influxdbClient: versionOf('@influxdata/influxdb-client'),
    nodeRedContribInfluxdb: versionOf('node-red-contrib-influxdb'),
    contribInfluxdbClient: (() => {
      try {
        return require(path.join(ROOT, 'node_modules', 'node-red-contrib-influxdb', 'node_modules', '@influxdata', 'influxdb-client', 'package.json')).version;
      } catch {
        return versionOf('@influxdata/influxdb-client');
      }
    })(),
    commit: commandOutput('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
  };
}

function readOsRelease() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : 'Linux';
  } catch {
    return os.type();
  }
}

function machineText(m, load) {
  return (
    `${m.cores} cores (${m.cpu}), ${m.memoryGB} GB RAM, ${m.os}, Node ${m.node}, temp folder on ${m.tmpFileSystem}; ` +
    `Node-RED ${m.nodeRed}, VictoriaMetrics ${m.victoriaMetrics}, @influxdata/influxdb-client ${m.influxdbClient} ` +
    `(node-red-contrib-influxdb ${m.nodeRedContribInfluxdb} bundles ${m.contribInfluxdbClient}); commit ${m.commit}. ` +
    `Load average (1 min) during the run: ${load.min.toFixed(1)} to ${load.max.toFixed(1)}.`
  );
}

module.exports = { rawLoop, consoleTable, markdownTable, cpuTable, evaluateGoals, goalsText, describeMachine, machineText };
