#!/usr/bin/env node
'use strict';
// `npm run test:soak`: the long variants of the reliability suite (test/reliability/), against a real Node-RED,
// a fault proxy and a real VictoriaMetrics:
//   crash   SIGKILL at random moments (every 1-10 s) for most of the time, with the remote up, down and flapping
//   outage  the remote down long enough to fill the queue, then full for a long spell, under both policies
// and prints one table: lines sent, acknowledged, arrived, duplicates, dropped by reason, kills survived, peak RSS.
// Exits 1 if a guarantee was broken (an acknowledged line missing, duplicates beyond what was in flight, lines
// out of order, or accounting that does not add up).
//
//   node scripts/soak.js [--minutes 10] [--seed N] [--only crash|outage]
// Build first (npm run build): Node-RED loads the compiled nodes/.

const path = require('path');
const { runCrashScenario } = require(path.join(__dirname, '..', 'test', 'reliability', 'lib', 'crash-scenario'));
const { runOutageScenario } = require(path.join(__dirname, '..', 'test', 'reliability', 'lib', 'outage-scenario'));
const { formatMiB } = require(path.join(__dirname, '..', 'test', 'harness', 'rss'));

function parseArgs(argv) {
  const args = { minutes: 10, seed: (Date.now() % 2147483647) + 1, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--minutes') args.minutes = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--only') args.only = value();
    else if (a === '--help' || a === '-h') args.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.minutes > 0)) throw new Error('--minutes must be a positive number');
  if (args.only && !['crash', 'outage'].includes(args.only)) throw new Error('--only takes crash or outage');
  return args;
}

function droppedText(linesDropped) {
  const parts = Object.entries(linesDropped || {}).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`);
  return parts.length ? parts.join(', ') : '0';
}

function printTable(rows) {
  const headers = ['scenario', 'lines sent', 'acknowledged', 'arrived', 'duplicates', 'dropped by reason', 'kills survived', 'peak RSS', 'guarantees'];
  const cells = rows.map((r) => [r.scenario, r.sent, r.acknowledged, r.arrived, r.duplicates, r.dropped, r.kills, r.peakRss, r.verdict].map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values) => `| ${values.map((v, i) => (i === 0 || i >= 5 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w, i) => (i === 0 || i >= 5 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log('usage: node scripts/soak.js [--minutes 10] [--seed N] [--only crash|outage]');
    return 0;
  }
  const totalMs = args.minutes * 60_000;
  const log = (text) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);
  log(`seed ${args.seed}, ${args.minutes} min (RELIABILITY_SEED=${args.seed} replays the CI variants with the same choices)`);
  const rows = [];
  const failures = [];

  if (!args.only || args.only === 'crash') {
    // Most of the time goes to kills; the outages need about a minute each to fill and drain 32 MiB.
    const crashMs = args.only === 'crash' ? totalMs : Math.max(30_000, totalMs * 0.7);
    log(`crash: SIGKILL every 1-10 s for ${Math.round(crashMs / 1000)} s (remote up, down, flapping in thirds)`);
    const r = await runCrashScenario({
      seed: args.seed,
      durationMs: crashMs,
      killAfterMs: [1000, 10_000],
      linesPerRequest: 20,
      concurrency: 1,
      maxBatchBytes: 4000,
      // About 1,000 lines/s: an hour is a few million lines, which the harness can still count one by one.
      pauseBetweenMs: 20,
      drainTimeoutMs: 600_000,
      log,
    });
    const problems = [];
    if (r.missingCount > 0) problems.push(`${r.missingCount} acknowledged lines missing (e.g. ${r.missingExamples.slice(0, 3).join(', ')})`);
    if (r.duplicates > r.duplicateBound) problems.push(`duplicates ${r.duplicates} > bound ${r.duplicateBound}`);
    if (r.outOfOrder > 0) problems.push(`${r.outOfOrder} lines out of order (first ${JSON.stringify(r.firstOutOfOrder)})`);
    failures.push(...problems.map((p) => `crash: ${p}`));
    rows.push({
      scenario: `crash (${r.modeChanges} flaps)`,
      sent: r.sent.linesSent,
      acknowledged: r.acknowledgedLines,
      arrived: r.arrivedDistinct,
      duplicates: `${r.duplicates} (bound ${r.duplicateBound})`,
      dropped: droppedText(r.row.linesDropped),
      kills: `${r.kills} (up ${r.killsByPhase.up}, down ${r.killsByPhase.down}, flapping ${r.killsByPhase.flapping})`,
      peakRss: formatMiB(r.peakRssBytes),
      verdict: problems.length ? 'BROKEN' : 'kept',
    });
  }

  if (!args.only || args.only === 'outage') {
    const outageBudget = args.only === 'outage' ? totalMs : totalMs * 0.3;
    for (const policy of ['reject', 'drop-oldest']) {
      // Filling and draining take about 20-40 s; the rest of the budget is spent full, with data still coming.
      const fullForMs = Math.max(3000, outageBudget / 2 - 40_000);
      log(`outage (${policy}): fill 32 MiB, then ${Math.round(fullForMs / 1000)} s full with data still coming, then drain`);
      const r = await runOutageScenario({ policy, heapLimitMB: 96, fullForMs, drainTimeoutMs: 600_000, log });
      const dropped = r.phases.after.row.linesDropped;
      const problems = [];
      if (policy === 'reject' && r.missing.length > 0) problems.push(`${r.missing.length} acknowledged lines missing`);
      if (policy === 'drop-oldest' && r.arrivedDistinct + dropped['queue-full'] !== r.linesAcknowledged) {
        problems.push(`accounting: arrived ${r.arrivedDistinct} + dropped ${dropped['queue-full']} != acknowledged ${r.linesAcknowledged}`);
      }
      if (!r.sameProcess) problems.push('Node-RED died (heap limit 96 MB)');
      if (r.maxQueueBytesSeen > r.maxQueueSizeBytes) problems.push(`queue ${r.maxQueueBytesSeen} B over its bound`);
      failures.push(...problems.map((p) => `outage ${policy}: ${p}`));
      rows.push({
        scenario: `outage, ${policy}`,
        sent: r.linesSent,
        acknowledged: r.linesAcknowledged,
        arrived: r.arrivedDistinct,
        duplicates: r.storedSamples - r.arrivedDistinct,
        dropped: droppedText(dropped),
        kills: 0,
        peakRss: `${formatMiB(r.peakRssBytes)} (heap limit 96 MB)`,
        verdict: problems.length ? 'BROKEN' : 'kept',
      });
    }
  }

  console.log(`\nSoak run, ${args.minutes} min, seed ${args.seed}, ${new Date().toISOString()}\n`);
  printTable(rows);
  if (failures.length) {
    console.log(`\nBroken guarantees:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log('\nEvery guarantee kept.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? `${err.stack}\n${err.message}` : err);
    process.exit(2);
  },
);
