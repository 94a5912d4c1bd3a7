'use strict';
// Crash safety: a child process appends in a loop and prints every append that resolved; we kill it with
// SIGKILL at a random moment, reopen the queue and check that each printed append is there, in order,
// with nothing missing before it.
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DurableQueue } = require('../../nodes/lib/queue');

const CHILD = path.join(__dirname, 'fixtures', 'queue-crash-child.js');

function runAndKill(dir, killAfterResolved, segmentMaxBytes) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(segmentMaxBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const printed = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const p of parts) if (p !== 'ready') printed.push(Number(p));
      if (!killed && printed.length >= killAfterResolved) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve(printed);
    });
  });
}

describe('DurableQueue crash safety (SIGKILL mid-append)', function () {
  this.timeout(30000);
  let root;

  before(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-crash-'));
  });

  after(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  // Random kill points, reproducible from the seed printed on failure.
  const seed = Date.now() % 100000;
  let state = seed;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);

  for (let run = 1; run <= 5; run++) {
    it(`keeps every resolved append, in order and without gaps (run ${run})`, async function () {
      const dir = path.join(root, `run-${run}`);
      const segmentMaxBytes = run % 2 === 0 ? 1024 : 64 * 1024;
      let printed = [];
      // Two crashes in a row on the same folder: recovery must also survive being crashed into.
      for (let crash = 0; crash < 2; crash++) {
        const killAfter = 20 + Math.floor(random() * 400);
        const resolvedNow = await runAndKill(dir, killAfter, segmentMaxBytes);
        printed = printed.concat(resolvedNow.map((n) => ({ crash, n })));
      }
      const queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
      try {
        const records = [];
        for (;;) {
          const batch = await queue.readNext(1e6);
          if (batch.length === 0) break;
          records.push(...batch);
        }
        // Each child run numbers its appends from 0; the folder holds run 0's sequence, then run 1's.
        const seen = records.map((r) => {
          const m = /^crash,n=(\d+) v=(\d+)i/.exec(r.data);
          assert.ok(m, `unexpected record ${JSON.stringify(r.data)}`);
          const n = Number(m[1]);
          assert.strictEqual(r.lines, n % 3 === 0 ? 2 : 1);
          return n;
        });
        const restart = seen.findIndex((n, i) => i > 0 && n === 0);
        assert.ok(restart > 0, `seed ${seed}: the second run's appends are missing`);
        const sequences = [seen.slice(0, restart), seen.slice(restart)];
        for (let crash = 0; crash < 2; crash++) {
          const sequence = sequences[crash];
          sequence.forEach((n, i) => assert.strictEqual(n, i, `seed ${seed}: crash ${crash} record ${i} is ${n}`));
          const mustHave = printed.filter((p) => p.crash === crash).map((p) => p.n);
          const highest = Math.max(...mustHave);
          assert.ok(sequence.length > highest, `seed ${seed}: crash ${crash} printed ${highest} but only ${sequence.length} records survived`);
        }
        assert.strictEqual(queue.stats().dropped.corrupt.records, 0, 'a crash leaves a torn tail, never damage');
      } finally {
        await queue.close();
      }
    });
  }
});
