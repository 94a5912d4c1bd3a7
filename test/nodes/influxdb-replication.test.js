'use strict';
// The influxdb-replication node in a Node-RED runtime (node-red-node-test-helper), writing to a canned HTTP server
// that plays the remote's part so every status code is available on demand.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { startCannedServer } = require('../harness/canned-server');
const { nextMessage, collect, waitFor, sleep, receivedLines } = require('./helpers');

helper.init(require.resolve('node-red'));
const remoteNode = require('../../nodes/influxdb-remote.js');
const replicationNode = require('../../nodes/influxdb-replication.js');

const TOKEN = 'secret-token-8c1f0e';

describe('influxdb-replication node', function () {
  this.timeout(20000);
  let server;
  let responder;
  let queueRoot;

  before(async () => {
    server = await startCannedServer((req, i) => responder(req, i));
  });
  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    responder = () => ({ status: 204 });
    server.requests.length = 0;
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'replication-node-'));
    useSettings();
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  function useSettings(writer = {}) {
    helper.settings({
      influxdbReplication: {
        queueDir: queueRoot,
        writer: { initialBackoffMs: 50, maxBackoffMs: 200, requestTimeoutMs: 2000, ...writer },
      },
    });
  }

  function flow(props = {}) {
    return [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'remote', type: 'influxdb-remote', name: 'canned', remoteURL: server.url, remoteOrgID: 'org1', writeAPI: 'v2' },
      {
        id: 'repl',
        z: 'tab',
        type: 'influxdb-replication',
        name: 'stream',
        remote: 'remote',
        remoteBucketName: 'bucket1',
        remoteBucketID: '',
        wires: [['statusOut'], ['droppedOut']],
        ...props,
      },
      { id: 'statusOut', z: 'tab', type: 'helper' },
      { id: 'droppedOut', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['repl'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
      { id: 'completer', z: 'tab', type: 'complete', scope: ['repl'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'tab', type: 'helper' },
    ];
  }
  const credentials = { remote: { remoteAPIToken: TOKEN } };

  async function load(props) {
    await helper.load([remoteNode, replicationNode], flow(props), credentials);
    return nodes();
  }
  function nodes() {
    const ids = ['repl', 'statusOut', 'droppedOut', 'caught', 'completed'];
    return Object.fromEntries(ids.map((id) => [id, helper.getNode(id)]));
  }
  async function row() {
    const res = await helper.request().get('/influxdb-replication/replications').expect(200);
    return res.body.find((r) => r.id === 'repl');
  }
  /** Sends a message and resolves with 'complete' or the error that reached the Catch node. */
  async function send(n, msg) {
    const completed = nextMessage(n.completed, { timeoutMs: 8000 }).then(() => 'complete');
    const caught = nextMessage(n.caught, { timeoutMs: 8000 }).then((m) => m.error);
    n.repl.receive(msg);
    return Promise.race([completed, caught]);
  }
  function queueFolder() {
    return path.join(queueRoot, 'repl');
  }

  describe('input forms', () => {
    it('queues a string of lines, a Buffer, an array of strings and point objects, and delivers them all', async () => {
      const n = await load();
      assert.strictEqual(await send(n, { payload: 'cpu,host=a v=1 1700000000000000001\ncpu,host=a v=2 1700000000000000002' }), 'complete');
      assert.strictEqual(await send(n, { payload: Buffer.from('cpu,host=b v=3 1700000000000000003') }), 'complete');
      assert.strictEqual(await send(n, { payload: ['cpu,host=c v=4 1700000000000000004', 'cpu,host=c v=5 1700000000000000005'] }), 'complete');
      assert.strictEqual(
        await send(n, { payload: { measurement: 'mem', tags: { host: 'd e' }, fields: { used: 6 }, timestamp: 1700000000000000006n } }),
        'complete',
      );
      assert.strictEqual(
        await send(n, {
          payload: [
            { measurement: 'mem', fields: { used: 7 }, timestamp: 1700000000000000007n },
            { measurement: 'mem', fields: { used: 8 }, timestamp: 1700000000000000008n },
          ],
        }),
        'complete',
      );
      const lines = await waitFor(() => receivedLines(server).length >= 8 && receivedLines(server), { message: '8 lines' });
      assert.deepStrictEqual(lines.map((l) => l.split(' ').pop()), [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `170000000000000000${i}`));
      assert.ok(lines.includes('mem,host=d\\ e used=6 1700000000000000006'), lines.join('\n'));
      for (const req of server.requests) {
        const url = new URL(req.url, 'http://x');
        assert.strictEqual(url.pathname, '/api/v2/write');
        assert.strictEqual(url.searchParams.get('bucket'), 'bucket1');
        assert.strictEqual(url.searchParams.get('org'), 'org1');
        assert.strictEqual(url.searchParams.get('precision'), 'ns');
        assert.strictEqual(req.headers.authorization, `Token ${TOKEN}`);
      }
    });

    it('keeps the exact time of lines sent with msg.precision, whatever mix of precisions arrives', async () => {
      const n = await load({ precision: 'ms' });
      assert.strictEqual(await send(n, { payload: 'p v=1 1700000000', precision: 's' }), 'complete');
      assert.strictEqual(await send(n, { payload: 'p v=2 1700000000123' }), 'complete'); // node precision: ms
      assert.strictEqual(await send(n, { payload: 'p v=3 1700000000123456', precision: 'us' }), 'complete');
      assert.strictEqual(await send(n, { payload: 'p v=4 1700000000123456789', precision: 'ns' }), 'complete');
      const lines = await waitFor(() => receivedLines(server).length >= 4 && receivedLines(server));
      assert.deepStrictEqual(lines, [
        'p v=1 1700000000000000000',
        'p v=2 1700000000123000000',
        'p v=3 1700000000123456000',
        'p v=4 1700000000123456789',
      ]);
    });

    it('gives lines without a timestamp the ingest time', async () => {
      const n = await load();
      const before = BigInt(Date.now()) * 1000000n;
      assert.strictEqual(await send(n, { payload: 'nots v=1' }), 'complete');
      const after = BigInt(Date.now()) * 1000000n;
      const [line] = await waitFor(() => receivedLines(server).length >= 1 && receivedLines(server));
      const ts = BigInt(line.split(' ').pop());
      assert.ok(ts >= before - 1000000n && ts <= after + 1000000n, `ingest time ${ts} outside [${before}, ${after}]`);
    });
  });

  describe('errors reach the Catch node', () => {
    it('refuses malformed lines, naming how many and which, while the valid lines of the message are queued', async () => {
      const n = await load();
      const error = await send(n, { payload: 'ok v=1 1\nnot line protocol\nok v=2 2\nok v=\n' });
      assert.notStrictEqual(error, 'complete');
      assert.match(error.message, /refused 2 of 4 lines/);
      assert.match(error.message, /line 2/);
      assert.match(error.message, /line 4/);
      const lines = await waitFor(() => receivedLines(server).length >= 2 && receivedLines(server));
      assert.deepStrictEqual(lines, ['ok v=1 1', 'ok v=2 2']);
    });

    for (const [what, payload, pattern] of [
      ['a number', 42, /number/],
      ['null', null, /null/],
      ['an object without fields', { measurement: 'm' }, /field/],
    ]) {
      it(`refuses ${what} as payload with a clear error`, async () => {
        const n = await load();
        const error = await send(n, { payload });
        assert.notStrictEqual(error, 'complete');
        assert.match(error.message, pattern);
      });
    }

    it('accepts an empty payload and one of only blank lines and comments: done() with nothing queued, as InfluxDB answers 204', async () => {
      const n = await load();
      for (const payload of ['', '# nothing here\n\n', '\n  \n\t# indented comment\r\n', [], Buffer.from('# c\n')]) {
        assert.strictEqual(await send(n, { payload }), 'complete', JSON.stringify(payload));
      }
      assert.strictEqual((await row()).remainingLinesToBeSynced, 0);
      await sleep(100);
      assert.strictEqual(receivedLines(server).length, 0);
    });

    it('refuses a bad msg.precision and an unknown msg.control', async () => {
      const n = await load();
      const precisionError = await send(n, { payload: 'm v=1', precision: 'minutes' });
      assert.match(precisionError.message, /msg\.precision must be one of ns, us, ms, s; got "minutes"/);
      const controlError = await send(n, { control: 'explode' });
      assert.match(controlError.message, /unknown msg\.control "explode"/);
      await sleep(100);
      assert.strictEqual(receivedLines(server).length, 0);
    });

    it('shows a red status and refuses messages when the stream is misconfigured', async () => {
      const statuses = [];
      const n = await load({ remoteBucketName: '', remoteBucketID: '' });
      n.repl.on('call:status', (call) => statuses.push(call.args[0]));
      const error = await send(n, { payload: 'm v=1' });
      assert.match(error.message, /bucket/);
      const status = await waitFor(() => statuses.length > 0 && statuses, { timeoutMs: 200 }).catch(() => null);
      // The red status is set while the node starts (before our listener); it must not have turned green since.
      assert.ok(status === null || status.every((s) => s.fill === 'red'), JSON.stringify(status));
    });
  });

  describe('durability and outputs', () => {
    it('fires Complete only once the lines are in the queue files on disk', async () => {
      const n = await load();
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      const marker = `durable,check=${Date.now()} v=1 1`;
      const completed = nextMessage(n.completed);
      n.repl.receive({ payload: marker });
      await completed;
      const files = fs.readdirSync(queueFolder());
      const onDisk = files.some((f) => fs.readFileSync(path.join(queueFolder(), f)).includes(marker));
      assert.ok(onDisk, `the line is not in any of ${files.join(', ')}`);
      assert.strictEqual((await row()).remainingLinesToBeSynced, 1);
      assert.strictEqual(receivedLines(server).length, 0);
    });

    it('sends the stream row on output 1 after sending, with the latest code and an empty queue', async () => {
      const n = await load();
      const statusMessages = collect(n.statusOut);
      await send(n, { payload: 'm v=1 1' });
      const msg = await waitFor(() => statusMessages.find((m) => m.payload.latestResponseCode === 204 && m.payload.remainingBytesToBeSynced === 0), {
        message: 'a status message after the send',
      });
      assert.strictEqual(msg.topic, 'status');
      assert.strictEqual(msg.payload.id, 'repl');
      assert.strictEqual(msg.payload.state, 'ok');
      assert.strictEqual(msg.payload.linesSent, 1);
      assert.ok(msg.payload.lastSuccessAt);
      assert.ok(!JSON.stringify(msg).includes(TOKEN));
    });

    it('drops lines the remote rejects as invalid to output 2 when dropNonRetryableData is set, delivering the rest', async () => {
      responder = (req) =>
        req.body.includes('bad=')
          ? { status: 400, body: { code: 'invalid', message: 'partial write: field type conflict' } }
          : { status: 204 };
      const n = await load({ dropNonRetryableData: true });
      const dropped = nextMessage(n.droppedOut);
      const lines = Array.from({ length: 20 }, (_, i) => (i === 13 ? `m bad="x" ${i + 1}` : `m v=${i} ${i + 1}`));
      assert.strictEqual(await send(n, { payload: lines.join('\n') }), 'complete');
      const msg = await dropped;
      assert.strictEqual(msg.topic, 'dropped');
      assert.strictEqual(msg.reason, 'non-retryable');
      assert.strictEqual(msg.payload, 'm bad="x" 14');
      assert.strictEqual(msg.statusCode, 400);
      assert.match(msg.error, /field type conflict/);
      await waitFor(async () => (await row()).remainingLinesToBeSynced === 0, { message: 'the queue to drain' });
      const delivered = new Set(server.requests.filter((r) => r.body && !r.body.includes('bad=')).flatMap((r) => r.body.split('\n')));
      assert.strictEqual(delivered.size, 19);
      assert.strictEqual((await row()).linesDropped['non-retryable'], 1);
    });
  });

  describe('bounds', () => {
    // 500 kB of lines with distinct timestamps: the queue's smallest allowed bound holds about 67 of these.
    function bigPayload(k) {
      const lines = [];
      for (let i = 0; lines.length * 50 < 500000; i++) lines.push(`big,k=${k} v=${i},pad="${'x'.repeat(20)}" ${k * 100000 + i + 1}`);
      return lines.join('\n');
    }

    it('refuses new data with a clear "queue full" error under reject, keeping what was queued', async () => {
      responder = () => ({ status: 503 });
      const n = await load({ maxQueueSizeBytes: 33554430, onQueueFull: 'reject' });
      const dropped = collect(n.droppedOut);
      let error;
      let accepted = 0;
      for (let k = 0; k < 200 && !error; k++) {
        const outcome = await send(n, { payload: bigPayload(k) });
        if (outcome === 'complete') accepted++;
        else error = outcome;
      }
      assert.ok(error, 'the queue never filled');
      assert.match(error.message, /queue full/);
      const requestsBefore = server.requests.length;
      await waitFor(() => server.requests.length >= requestsBefore + 3, { message: 'more failed attempts' });
      // Still full after more failed send attempts: nothing was delivered, so no room was made.
      const r = await row();
      assert.strictEqual(r.state, 'full');
      assert.ok(r.currentQueueSizeBytes <= 33554430, `${r.currentQueueSizeBytes} bytes on disk`);
      assert.ok(accepted >= 60, `only ${accepted} payloads fitted`);
      // Nothing queued was touched: every accepted line is still there; the refused payload's lines are counted.
      const linesPerPayload = bigPayload(0).split('\n').length;
      assert.strictEqual(r.remainingLinesToBeSynced, accepted * linesPerPayload);
      assert.strictEqual(r.linesDropped['queue-full'], linesPerPayload);
      // The refused message went to Catch with its lines; they are not emitted again as dropped.
      assert.strictEqual(dropped.length, 0);
    });

    it('drops the oldest unsent data to output 2 under drop-oldest, and counts it', async () => {
      responder = () => ({ status: 503 });
      const n = await load({ maxQueueSizeBytes: 33554430, onQueueFull: 'drop-oldest' });
      const dropped = collect(n.droppedOut);
      for (let k = 0; k < 90; k++) assert.strictEqual(await send(n, { payload: bigPayload(k) }), 'complete');
      const first = await waitFor(() => dropped[0], { message: 'a dropped-lines message' });
      assert.strictEqual(first.reason, 'queue-full');
      assert.ok(first.lineCount > 0);
      // The oldest unsent lines go first. Records the writer already holds (the batch in flight and up to three
      // read ahead of it: the first few payloads here) are not dropped: it delivers them once the remote is back.
      const firstK = Number((/^big,k=(\d+) v=0,/.exec(first.payload) || [])[1]);
      assert.ok(firstK <= 5, `the oldest lines go first, got ${first.payload.slice(0, 40)} (${first.lineCount} lines)`);
      const r = await row();
      assert.ok(r.currentQueueSizeBytes <= 33554430);
      assert.ok(r.linesDropped['queue-full'] >= first.lineCount);
    });

    it('drops lines older than maxAgeSeconds (by enqueue time) to output 2', async () => {
      helper.settings({ influxdbReplication: { queueDir: queueRoot, expireIntervalMs: 100, writer: { initialBackoffMs: 50, maxBackoffMs: 100 } } });
      const n = await load({ maxAgeSeconds: 1 });
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      const dropped = nextMessage(n.droppedOut, { timeoutMs: 8000 });
      assert.strictEqual(await send(n, { payload: 'old v=1 1\nold v=2 2' }), 'complete');
      const msg = await dropped;
      assert.strictEqual(msg.reason, 'age');
      assert.strictEqual(msg.lineCount, 2);
      assert.strictEqual(msg.payload, 'old v=1 1\nold v=2 2');
      const r = await row();
      assert.strictEqual(r.remainingLinesToBeSynced, 0);
      assert.strictEqual(r.linesDropped.age, 2);
    });
  });

  describe('control messages', () => {
    it('pause holds the queue, resume sends it', async () => {
      const n = await load();
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      assert.strictEqual(await send(n, { payload: 'm v=1 1\nm v=2 2' }), 'complete');
      await sleep(300);
      assert.strictEqual(receivedLines(server).length, 0);
      assert.strictEqual((await row()).state, 'paused');
      assert.strictEqual(await send(n, { control: 'resume' }), 'complete');
      await waitFor(() => receivedLines(server).length === 2, { message: 'lines after resume' });
    });

    it('flush sends at once, ignoring the current backoff', async () => {
      useSettings({ initialBackoffMs: 60000, maxBackoffMs: 60000 });
      let up = false;
      responder = () => (up ? { status: 204 } : { status: 503, body: 'unavailable' });
      const n = await load();
      assert.strictEqual(await send(n, { payload: 'm v=1 1' }), 'complete');
      await waitFor(() => server.requests.length === 1, { message: 'the first (failing) attempt' });
      await waitFor(async () => (await row()).state === 'retrying');
      up = true;
      await sleep(200);
      assert.strictEqual(server.requests.length, 1, 'no retry before the 60 s backoff');
      assert.strictEqual(await send(n, { control: 'flush' }), 'complete');
      await waitFor(async () => (await row()).remainingLinesToBeSynced === 0, { message: 'the flush to deliver' });
      assert.strictEqual(receivedLines(server).filter((l) => l === 'm v=1 1').length, 2);
    });

    it('status sends the row on output 1 at once', async () => {
      const n = await load();
      const msgPromise = nextMessage(n.statusOut, { timeoutMs: 500 });
      n.repl.receive({ control: 'status' });
      const msg = await msgPromise;
      assert.strictEqual(msg.topic, 'status');
      for (const key of ['id', 'name', 'remoteID', 'remoteBucketName', 'remoteBucketID', 'maxQueueSizeBytes', 'maxAgeSeconds',
        'dropNonRetryableData', 'currentQueueSizeBytes', 'remainingBytesToBeSynced', 'latestResponseCode', 'latestErrorMessage',
        'state', 'oldestUnsentAgeSeconds', 'linesSent', 'linesDropped', 'lastSuccessAt', 'nextAttemptAt']) {
        assert.ok(key in msg.payload, `row lacks ${key}`);
      }
      assert.strictEqual(msg.payload.remoteID, 'remote');
      assert.strictEqual(msg.payload.maxQueueSizeBytes, 67108860);
    });

    it('purge drops the unsent queue and counts it', async () => {
      const n = await load();
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      assert.strictEqual(await send(n, { payload: 'm v=1 1\nm v=2 2\nm v=3 3' }), 'complete');
      assert.strictEqual(await send(n, { control: 'purge' }), 'complete');
      const r = await row();
      assert.strictEqual(r.remainingLinesToBeSynced, 0);
      assert.strictEqual(r.linesDropped.purge, 3);
      assert.strictEqual(await send(n, { control: 'resume' }), 'complete');
      await sleep(300);
      assert.strictEqual(receivedLines(server).length, 0);
    });
  });

  describe('status colours', () => {
    function statusRecorder(node) {
      const seen = [];
      node.on('call:status', (call) => seen.push(call.args[0]));
      return seen;
    }
    it('green dot with the code and queue size when drained', async () => {
      const n = await load();
      const seen = statusRecorder(n.repl);
      await send(n, { payload: 'm v=1 1' });
      const s = await waitFor(() => seen.find((x) => x.fill === 'green' && x.shape === 'dot' && /^204/.test(x.text)));
      assert.strictEqual(s.text, '204 · 0 B');
    });
    it('yellow ring while retrying a 503', async () => {
      responder = () => ({ status: 503, body: 'busy' });
      const n = await load();
      const seen = statusRecorder(n.repl);
      await send(n, { payload: 'm v=1 1' });
      const s = await waitFor(() => seen.find((x) => x.fill === 'yellow'));
      assert.strictEqual(s.shape, 'ring');
      assert.match(s.text, /^503/);
      assert.ok(s.text.length < 20);
    });
    it('red ring when blocked by a 401, and the row names the remote error without the token', async () => {
      responder = () => ({ status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } });
      const n = await load();
      const seen = statusRecorder(n.repl);
      await send(n, { payload: 'm v=1 1' });
      const s = await waitFor(() => seen.find((x) => x.fill === 'red'));
      assert.strictEqual(s.shape, 'ring');
      assert.match(s.text, /^401/);
      const r = await row();
      assert.strictEqual(r.state, 'blocked');
      assert.match(r.latestErrorMessage, /unauthorized access/);
      assert.ok(!JSON.stringify(r).includes(TOKEN));
      assert.strictEqual(r.remainingLinesToBeSynced, 1, 'nothing is dropped on a 401');
    });
    it('red ring with the refusing code while a refused line is kept; the row and output 1 carry the refusal', async () => {
      responder = (req) =>
        req.body.includes('bad=')
          ? { status: 400, body: { code: 'invalid', message: 'partial write: field type conflict dropped=1' } }
          : { status: 204 };
      const n = await load();
      const seen = statusRecorder(n.repl);
      const statusMessages = collect(n.statusOut);
      const lines = Array.from({ length: 200 }, (_, i) => (i === 150 ? `m bad="x" ${i + 1}` : `m v=${i} ${i + 1}`));
      assert.strictEqual(await send(n, { payload: lines.join('\n') }), 'complete');
      const bytes = Buffer.byteLength('m bad="x" 151');
      const s = await waitFor(() => seen.find((x) => x.fill === 'red'));
      assert.deepStrictEqual(s, { fill: 'red', shape: 'ring', text: `400 · ${bytes} B` });
      const msg = await waitFor(() => statusMessages.find((m) => m.payload.state === 'blocked'), { message: 'a status message while blocked' });
      for (const r of [msg.payload, await row()]) {
        assert.strictEqual(r.latestResponseCode, 400);
        assert.match(r.latestErrorMessage, /field type conflict/);
        assert.strictEqual(r.remainingLinesToBeSynced, 1);
        assert.strictEqual(r.remainingBytesToBeSynced, bytes);
      }
      // Its retries (the line alone) go on, and the badge stays red with the refusal.
      const sent = server.requests.length;
      await waitFor(() => server.requests.length >= sent + 2);
      assert.ok(server.requests.slice(sent).every((r) => r.body === 'm bad="x" 151'));
      assert.deepStrictEqual(seen[seen.length - 1], { fill: 'red', shape: 'ring', text: `400 · ${bytes} B` });
    });
    it('grey when paused', async () => {
      const n = await load();
      const seen = statusRecorder(n.repl);
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      const s = await waitFor(() => seen.find((x) => x.fill === 'grey'));
      assert.match(s.text, /^paused/);
      // Appended lines show in the badge without a send attempt.
      assert.strictEqual(await send(n, { payload: 'm v=1 1' }), 'complete');
      const grown = await waitFor(() => seen.find((x) => x.fill === 'grey' && x.text === 'paused · 7 B'), { message: 'the badge to show the queued bytes' });
      assert.ok(grown);
    });
  });

  describe('lifecycle', () => {
    it('a redeploy keeps the queue and goes on; a changed bucket gets the queued lines', async () => {
      let up = false;
      responder = () => (up ? { status: 204 } : { status: 503 });
      const n = await load();
      assert.strictEqual(await send(n, { payload: 'm v=1 1\nm v=2 2\nm v=3 3' }), 'complete');
      await waitFor(async () => (await row()).state === 'retrying');
      await helper.setFlows(flow({ remoteBucketName: 'bucket2' }), 'full', credentials);
      up = true;
      await waitFor(async () => (await row())?.remainingLinesToBeSynced === 0, { message: 'the queue to drain after the redeploy' });
      const last = server.requests[server.requests.length - 1];
      assert.strictEqual(new URL(last.url, 'http://x').searchParams.get('bucket'), 'bucket2');
      assert.deepStrictEqual(last.body.split('\n'), ['m v=1 1', 'm v=2 2', 'm v=3 3']);
    });

    it('deleting the node removes its queue folder', async () => {
      const n = await load();
      assert.strictEqual(await send(n, { control: 'pause' }), 'complete');
      await send(n, { payload: 'm v=1 1' });
      assert.ok(fs.existsSync(queueFolder()));
      await helper.setFlows(flow().filter((x) => x.id !== 'repl'), 'full', credentials);
      await waitFor(() => !fs.existsSync(queueFolder()), { message: 'the queue folder to be removed' });
    });
  });

  describe('admin routes', () => {
    it('lists the streams and remotes without any secret, and pauses, resumes and flushes by id', async () => {
      await load();
      await waitFor(row, { message: 'the stream to open' });
      const list = await helper.request().get('/influxdb-replication/replications').expect(200);
      assert.strictEqual(list.body.length, 1);
      assert.strictEqual(list.body[0].remoteBucketName, 'bucket1');
      const remotes = await helper.request().get('/influxdb-replication/remotes').expect(200);
      assert.strictEqual(remotes.body.length, 1);
      assert.strictEqual(remotes.body[0].remoteURL, server.url);
      assert.ok(!JSON.stringify(remotes.body).includes(TOKEN));
      assert.ok(!JSON.stringify(list.body).includes(TOKEN));
      const paused = await helper.request().post('/influxdb-replication/replications/repl/pause').expect(200);
      assert.strictEqual(paused.body.state, 'paused');
      const resumed = await helper.request().post('/influxdb-replication/replications/repl/resume').expect(200);
      assert.strictEqual(resumed.body.state, 'ok');
      await helper.request().post('/influxdb-replication/replications/repl/flush').expect(200);
      await helper.request().post('/influxdb-replication/replications/nope/pause').expect(404);
      await helper.request().post('/influxdb-replication/replications/repl/explode').expect(400);
    });

    it('validates a remote from the editor dialog values, using the stored token when unchanged', async () => {
      responder = (req) => (req.headers.authorization === `Token ${TOKEN}` ? { status: 204 } : { status: 401, body: { message: 'unauthorized access' } });
      await load();
      const good = await helper
        .request()
        .post('/influxdb-replication/remotes/validate')
        .send({ id: 'remote', remoteURL: server.url, remoteOrgID: 'org1', writeAPI: 'v2', remoteAPIToken: '__PWRD__', bucket: 'bucket1' })
        .expect(200);
      assert.strictEqual(good.body.ok, true, JSON.stringify(good.body));
      const bad = await helper
        .request()
        .post('/influxdb-replication/remotes/validate')
        .send({ remoteURL: server.url, remoteOrgID: 'org1', writeAPI: 'v2', remoteAPIToken: 'wrong-token-value', bucket: 'bucket1' })
        .expect(200);
      assert.strictEqual(bad.body.ok, false);
      assert.strictEqual(bad.body.statusCode, 401);
      assert.ok(!JSON.stringify(bad.body).includes('wrong-token-value'));
      const invalid = await helper.request().post('/influxdb-replication/remotes/validate').send({ remoteURL: 'ftp://x', writeAPI: 'v2' }).expect(200);
      assert.strictEqual(invalid.body.ok, false);
      assert.match(invalid.body.message, /http/);
    });
  });
});
