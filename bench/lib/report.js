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

const COLUMNS = [
  ['contender', (r) => r.label],
  ['scenario', (r) => r.scenario],
  ['gzip', (r) => fmtGzip(r.gzip)],
  ['arrived lines/s', (r) => fmtInt(r.arrivedLinesPerSec)],
  ['accepted lines/s', (r) => fmtInt(r.acceptedLinesPerSec)],
  ['accepted MB/s', (r) => (r.acceptedBytesPerSec === undefined ? '-' : (r.acceptedBytesPerSec / 1e6).toFixed(1))],
  ['of Node-RED', (r) => fmtPct(r.ofNodeRed)],
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
    rows.push({ label: 'ceiling: Node-RED (counter node)', scenario: `throughput ${label}`, gzip: undefined, acceptedLinesPerSec: nr.linesPerSec, acceptedBytesPerSec: nr.bytesPerSec, arrivedLinesPerSec: undefined, ofNodeRed: 1, peakRssMB: nr.peakRssMB, rssGrowthMB: nr.rssGrowthMB });
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

function allRows(result) {
  return [...ceilingRows(result.ceilings), ...result.rows];
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

/** The raw undici loop's run with `concurrency` requests in flight (the best run if that one was not made). */
function rawLoop(ceilings, key, concurrency) {
  const remote = ceilings.remote[key];
  return (remote.runs || []).find((r) => r.concurrency === concurrency) || remote;
}

/** The issue's goals, each checked against this run's figures. */
function evaluateGoals(result) {
  const rows = result.rows.filter((r) => !r.error);
  const ours = rows.filter((r) => r.contender === 'replication');
  const c = result.ceilings;
  const goals = [];
  const add = (goal, measured, pass) => goals.push({ goal, measured, pass });

  const single = ours.filter((r) => r.shape === '1');
  if (single.length) {
    const worst = Math.min(...single.map((r) => r.ofNodeRed));
    add('1-line messages: >= 40% of Node-RED\'s own ceiling, durable', single.map((r) => `gzip ${fmtGzip(r.gzip)}: ${fmtPct(r.ofNodeRed)} (${fmtInt(r.arrivedLinesPerSec)} of ${fmtInt(r.nodeRedCeilingLinesPerSec)} lines/s)`).join('; '), worst >= 0.4);
  }
  const big = ours.filter((r) => r.shape === '500k');
  if (big.length && c.disk) {
    const best = Math.max(...big.map((r) => r.ofDisk));
    add(
      '500 kB messages: >= 70% of the disk\'s write+fdatasync throughput',
      big.map((r) => `gzip ${fmtGzip(r.gzip)}: ${fmtPct(r.ofDisk)} (${(r.acceptedBytesPerSec / 1e6).toFixed(1)} of ${(c.disk.bytesPerSec / 1e6).toFixed(0)} MB/s)`).join('; ') +
        // The bound every node shares: Node-RED handling the same messages with a node that does nothing.
        (c.nodeRed['500k'] ? `; Node-RED alone with the same messages: ${fmtPct(c.nodeRed['500k'].bytesPerSec / c.disk.bytesPerSec)} of the disk (${(c.nodeRed['500k'].bytesPerSec / 1e6).toFixed(1)} MB/s)` : ''),
      best >= 0.7,
    );
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
      pass = pass && ratio >= 0.9 && b.arrivedLinesPerSec >= client;
    }
    add('Backlog drain: >= 90% of the raw undici loop and >= influxdb-client', parts.join('; '), pass);
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
    return ['| goal | measured | met |', '| --- | --- | --- |', ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.pass ? 'yes' : '**no**'} |`)].join('\n');
  }
  return goals.map((g) => `${g.pass ? 'MET   ' : 'MISSED'}  ${g.goal}\n        ${g.measured}`).join('\n');
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

module.exports = { rawLoop, consoleTable, markdownTable, evaluateGoals, goalsText, describeMachine, machineText };
