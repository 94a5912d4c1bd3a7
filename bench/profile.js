'use strict';
// CPU profile of a real Node-RED process running this package under the throughput load: `http in` ->
// influxdb-replication -> Complete -> `http response`, 8 requests in flight, gzip on, for each message size.
// Prints where the busy (non-idle) CPU went: top functions by self time, and this package's functions by
// inclusive time. The .cpuprofile files stay in the printed folder (open them in Chrome DevTools).
// Run: npm run build && node bench/profile.js [lines per message, comma-separated: 1,100,4500] [seconds: 8]
const fs = require('fs');
const os = require('os');
const path = require('path');

const sizes = (process.argv[2] || '1,100,4500').split(',').map(Number);
const seconds = Number(process.argv[3] || 8);
const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'replication-profile-'));

/** Self and inclusive time per function (name file:line) of one .cpuprofile; inclusive counts a function once per sample. */
function summarise(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const key = (n) => {
    const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '').replace(`${path.resolve(__dirname, '..')}/`, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i] || 0;
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    busy += dt;
    self.set(key(byId.get(id)), (self.get(key(byId.get(id))) || 0) + dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) || 0) + dt);
    }
  }
  const top = (map, filter, count) =>
    [...map]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([k, t]) => `${((100 * t) / busy).toFixed(1).padStart(5)}%  ${k}`);
  return { busySeconds: busy / 1e6, self: top(self, () => true, 15), ours: top(inclusive, (k) => / nodes\//.test(k), 20) };
}

(async () => {
  const { startRemote } = require('./lib/remote');
  const { startBenchNodeRed } = require('./lib/node-red');
  const { createGenerator } = require('./lib/generator');
  const { replicationFlow } = require('./lib/flows');
  const remote = await startRemote();
  try {
    for (const lines of sizes) {
      const dir = path.join(outRoot, `${lines}-lines`);
      fs.mkdirSync(dir);
      // The harness passes HARNESS_NODE_ARGS to the Node-RED process; Node writes the profile when it exits.
      process.env.HARNESS_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
      const { flows, credentials } = replicationFlow(remote.url, { gzip: true, maxQueueSizeBytes: 1e9 });
      const red = await startBenchNodeRed({ flows, credentials, needsReplication: true });
      const generator = createGenerator({ url: red.url, measurement: 'profile', run: `p${Date.now()}`, linesPerMessage: lines, concurrency: 8 });
      await generator.closedLoop(seconds * 1000);
      const stats = generator.stats();
      await generator.close();
      await red.stop();
      delete process.env.HARNESS_NODE_ARGS;
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no profile written in ${dir}`);
      const summary = summarise(path.join(dir, file));
      console.log(`\n## ${lines} line(s) per message: ${Math.round(stats.acked / seconds).toLocaleString('en-US')} lines/s acked, ${stats.refused} refused; busy CPU ${summary.busySeconds.toFixed(2)} s (startup included)`);
      console.log('top self time, share of busy CPU:');
      for (const row of summary.self) console.log(`  ${row}`);
      console.log("this package's functions, inclusive:");
      for (const row of summary.ours) console.log(`  ${row}`);
    }
  } finally {
    await remote.stop();
  }
  console.log(`\nprofiles: ${outRoot}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
