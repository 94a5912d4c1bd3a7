'use strict';
// `npm run bench`: the component benchmarks (line protocol, queue, writer, downsampling) and the end-to-end
// benchmark against what Node-RED users use today, in one run on this machine. Prints the table (contender x
// scenario; throughput rows are medians over rounds, with each round's share of Node-RED's ceiling in the same
// round), the table "CPU seconds per million lines, end to end" (both cores, and Node-RED pinned to one), and
// the goal checks (issues 18 and 19, met / missed / no verdict), and writes them as JSON and Markdown to
// bench/results/, and the outage run as a plot (bench/results/outage.svg; quick-outage.svg for a smoke run).
//
//   npm run bench                       default profile (about 35 minutes on 2 cores)
//   npm run bench -- --quick            smoke run (about 5 minutes; of the component benchmarks only a small
//                                       drain comparison with the remote on its own CPU, unless
//                                       --components / --no-components), written to bench/results/quick.*
//   options: --backlog-mb=1024          backlog size for the drain/memory run (default 256, quick 32)
//            --only=replication,client-writeapi,contrib-batch   contenders
//            --scenarios=throughput,outage,restart,backlog
//            --rounds=5 --one-core-rounds=3  throughput rounds on both cores / with Node-RED on one core (0: none)
//            --warmup-ms=2000 --duration-ms=3000  each throughput run: warm-up, then the measured closed loop
//            --no-components            skip the component benchmarks
//            --out=DIR                  where to write the results (default bench/results)
//            --name=NAME                file name of the results (default latest, or quick with --quick)
//   The outage plot alone, without touching latest.*:
//     npm run bench -- --scenarios=outage --no-components --name=outage
//   The plot again from a results file, without running anything:
//     node bench/run.js --replot=bench/results/outage.json
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { runE2EBench } = require('./e2e');
const report = require('./lib/report');
const { outagePlotOfResults } = require('./lib/outage-plot');

function positiveInteger(arg, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${arg}: expected a whole number of at least ${min}`);
  return n;
}

function parseArgs(argv) {
  const options = { quick: false, components: undefined, out: path.join(__dirname, 'results') };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'quick') options.quick = true;
    else if (key === 'no-components') options.components = false;
    else if (key === 'components') options.components = true;
    else if (key === 'backlog-mb') options.backlogBytes = Number(value) * 1024 * 1024;
    else if (key === 'outage-s') options.outageMs = Number(value) * 1000;
    else if (key === 'rounds') options.rounds = positiveInteger(arg, value, 1);
    else if (key === 'one-core-rounds') options.oneCoreRounds = positiveInteger(arg, value, 0);
    else if (key === 'warmup-ms') options.warmupMs = positiveInteger(arg, value, 0);
    else if (key === 'duration-ms') options.durationMs = positiveInteger(arg, value, 100);
    else if (key === 'only') options.contenders = value.split(',');
    else if (key === 'scenarios') options.scenarios = value.split(',');
    else if (key === 'out') options.out = path.resolve(value);
    else if (key === 'name') options.name = value;
    else if (key === 'replot') options.replot = path.resolve(value);
    else throw new Error(`unknown option ${arg} (see the top of bench/run.js)`);
  }
  // The smoke run skips the component benchmarks (each has its own entry: node bench/queue.js, ...) except
  // the small drain comparison with the remote on its own CPU, which the goals read.
  if (options.components === undefined) options.components = options.quick ? 'drain' : true;
  return options;
}

function progress(text) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** Runs `fn` with console.log captured: the component benchmarks print their own tables. */
async function captureOutput(fn) {
  const original = console.log;
  const lines = [];
  console.log = (...args) => lines.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines.join('\n');
}

/** Each component benchmark is optional: one that is missing or fails is reported, not fatal. */
async function runComponents(quick, onlyDrain) {
  const out = {};
  const component = async (name, fn) => {
    if (onlyDrain && name !== 'writer, remote on its own CPU') return;
    progress(`component: ${name}`);
    const started = Date.now();
    try {
      const result = await fn();
      out[name] = { seconds: (Date.now() - started) / 1000, ...result };
    } catch (err) {
      out[name] = { error: err.message.split('\n')[0] };
      progress(`  ${name} failed: ${out[name].error}`);
    }
    if (out[name].text) process.stderr.write(out[name].text.replace(/^/gm, '    ') + '\n');
  };
  await component('line-protocol', async () => {
    // bench/line-protocol.js runs when loaded and prints its table: run it as its own process.
    const text = execFileSync(process.execPath, [path.join(__dirname, 'line-protocol.js')], { encoding: 'utf8', timeout: 300000 });
    return { text: text.trim() };
  });
  await component('queue', async () => {
    const { runQueueBench, printRows } = require('./queue');
    const result = await runQueueBench(quick ? { seconds: 0.5, rounds: 2 } : { seconds: 1, rounds: 4 });
    return { result, text: await captureOutput(() => printRows(result)) };
  });
  await component('writer', async () => {
    const { runWriterBench, printRows, printGoal } = require('./writer');
    const result = await runWriterBench(quick ? { megabytes: 8, rounds: 1 } : { megabytes: 64, rounds: 5 });
    return {
      result,
      text: await captureOutput(() => {
        printRows(result);
        printGoal(result);
      }),
    };
  });
  // The same comparison with the remote on a CPU of its own (as on another machine), in a process of its own
  // because the benchmark pins itself to the other CPUs. Issue 18's drain goal reads it: the median of at least
  // 9 rounds (each round runs every method once, so one VictoriaMetrics stall weighs on one round only).
  if (os.cpus().length >= 2) {
    await component('writer, remote on its own CPU', async () => {
      const { printRows, printGoal } = require('./writer');
      const env = { ...process.env, WRITER_BENCH_MB: String(quick ? 8 : 32), WRITER_BENCH_ROUNDS: String(quick ? 2 : 9) };
      const json = execFileSync(process.execPath, [path.join(__dirname, 'writer.js'), `--remote-cpus=${os.cpus().length - 1}`, '--json'], { encoding: 'utf8', env, timeout: 900000 });
      const result = JSON.parse(json);
      return {
        result,
        text: await captureOutput(() => {
          printRows(result);
          printGoal(result);
        }),
      };
    });
  }
  await component('downsample', async () => {
    const { runDownsampleBench } = require('./downsample');
    const result = runDownsampleBench(quick ? { repeats: 1 } : {});
    const text = result.map((r) => `${r.case.padEnd(24)} ${String(r.fn).padEnd(8)} ${r.pointsPerSec.toLocaleString('en-US').padStart(12)} points/s`).join('\n');
    return { result, text };
  });
  return out;
}

const CPU_TABLE_NOTE =
  "The Node-RED process's CPU seconds (user + system, all threads, from /proc) from the first request to the last line " +
  'arriving at the remote, per million lines that arrived: median over rounds (min-max). "1 core": Node-RED pinned to ' +
  'CPU 0 with taskset, the remote and the load generator on the other CPU, each contender with its default gzip.';

function markdown(doc) {
  const parts = [
    `# Benchmark results (${doc.profileName} profile)`,
    '',
    `Run ${doc.startedAt} - ${doc.finishedAt} (${Math.round(doc.seconds)} s).`,
    '',
    `Machine: ${report.machineText(doc.machine, doc.load)}`,
    '',
    `Profile: throughput in ${doc.e2e.profile.rounds} rounds (Node-RED on 1 core: ${doc.e2e.profile.oneCoreRounds}), each running Node-RED's ceiling and every contender once per message shape ` +
      `(order rotated every round), runs of ${doc.e2e.profile.durationMs / 1000} s after ${doc.e2e.profile.warmupMs / 1000} s of warm-up, with ${doc.e2e.profile.concurrency} requests in flight; ` +
      `outage of ${doc.e2e.profile.outageMs / 1000} s at ${doc.e2e.profile.outageRate.toLocaleString('en-US')} lines/s (100-line messages); ` +
      `restart: SIGKILL after ${doc.e2e.profile.restartOutageBeforeKillMs / 1000} s of outage; ` +
      `backlog of ${Math.round(doc.e2e.profile.backlogBytes / 1048576)} MB (500 kB messages, stream paused, then resumed).`,
    '',
    report.markdownTable(doc.e2e),
    '',
    '## CPU seconds per million lines, end to end',
    '',
    CPU_TABLE_NOTE,
    '',
    report.cpuTable(doc.e2e, true),
    '',
    '## Goals',
    '',
    report.goalsText(doc.goals, true),
    '',
  ];
  const comps = Object.entries(doc.components || {});
  if (comps.length) {
    parts.push('## Component benchmarks', '');
    for (const [name, c] of comps) {
      parts.push(`### ${name}`, '', c.error ? `failed: ${c.error}` : '```\n' + (c.text || '') + '\n```', '');
    }
  }
  return parts.join('\n');
}

/**
 * docs/performance.md shows the latest full run: the part between its bench markers is replaced; the prose
 * around it is written by hand.
 */
function updateDocs(doc) {
  const file = path.join(__dirname, '..', 'docs', 'performance.md');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const start = '<!-- bench:latest:start -->';
  const end = '<!-- bench:latest:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const body = [
    '',
    `Measured ${doc.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${report.machineText(doc.machine, doc.load)}`,
    '',
    report.markdownTable(doc.e2e),
    '',
    `CPU seconds per million lines, end to end. ${CPU_TABLE_NOTE}`,
    '',
    report.cpuTable(doc.e2e, true),
    '',
    report.goalsText(doc.goals, true),
    '',
  ].join('\n');
  fs.writeFileSync(file, text.slice(0, i + start.length) + body + text.slice(j));
}

/** A fault in the goal checks must not cost the run's figures: it becomes a goal row that says so. */
function evaluateGoalsSafely(e2e, components) {
  try {
    return report.evaluateGoals(e2e, components);
  } catch (err) {
    progress(`goal checks failed: ${err.stack}`);
    return [{ goal: 'goal checks', measured: `failed: ${err.message}`, pass: false }];
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.replot) {
    const doc = JSON.parse(fs.readFileSync(options.replot, 'utf8'));
    const file = path.join(options.out, doc.profileName === 'quick' ? 'quick-outage.svg' : 'outage.svg');
    const svg = outagePlotOfResults(doc);
    if (!svg) throw new Error(`${options.replot} has no outage rows with samples`);
    fs.writeFileSync(file, svg);
    console.log(`Written: ${path.relative(process.cwd(), file)}`);
    return;
  }
  const started = new Date();
  const loads = [os.loadavg()[0]];
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 5000);
  loadTimer.unref();
  const machine = report.describeMachine();
  progress(`${options.quick ? 'quick' : 'default'} profile on ${machine.cores} cores; load average ${loads[0].toFixed(1)}`);

  const components = options.components ? await runComponents(options.quick, options.components === 'drain') : {};
  const e2e = await runE2EBench({ ...options, log: progress });
  clearInterval(loadTimer);
  loads.push(os.loadavg()[0]);

  const finished = new Date();
  const doc = {
    profileName: options.quick ? 'quick' : 'default',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished - started) / 1000,
    machine,
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    e2e,
    goals: evaluateGoalsSafely(e2e, components),
    components,
  };

  fs.mkdirSync(options.out, { recursive: true });
  const base = path.join(options.out, options.name || (options.quick ? 'quick' : 'latest'));
  fs.writeFileSync(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, markdown(doc));
  const svg = outagePlotOfResults(doc);
  const svgFile = path.join(options.out, options.quick ? 'quick-outage.svg' : 'outage.svg');
  if (svg) fs.writeFileSync(svgFile, svg);

  if (!options.quick && !options.name && !options.contenders && !options.scenarios) updateDocs(doc);

  console.log(report.consoleTable(e2e));
  console.log('');
  const cpuTable = report.cpuTable(e2e, false);
  if (cpuTable) console.log(`CPU seconds per million lines, end to end (Node-RED process, median over rounds (min-max))\n${cpuTable}\n`);
  console.log(report.goalsText(doc.goals, false));
  console.log('');
  console.log(`Machine: ${report.machineText(machine, doc.load)}`);
  console.log(`Written: ${path.relative(process.cwd(), base)}.json and .md${svg ? `, ${path.relative(process.cwd(), svgFile)}` : ''} (${Math.round(doc.seconds)} s)`);
  // Pools and timers of the harness must not keep the process alive once the results are written.
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
