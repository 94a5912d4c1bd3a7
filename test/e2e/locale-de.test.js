'use strict';
// A real Node-RED set to German (`lang: 'de'` in settings.js): the nodes' status badges and the errors a Catch
// node receives come from nodes/locales/de, through Node-RED's own message lookup. A status node writes every
// badge text it sees to a file; a catch node writes every error message to another.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { waitFor } = require('../harness/servers');
const { startNodeRed } = require('../harness/node-red');

describe('German runtime (lang: de)', function () {
  this.timeout(60000);
  let red;
  let dir;

  before(async function () {
    this.timeout(90000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locale-de-'));
    red = await startNodeRed({
      settings: {
        lang: 'de',
        influxdbReplication: { queueDir: path.join(dir, 'queues') },
        // The launcher waits for the English "Started flows" at info level; below it, it waits for GET /settings only.
        logging: { console: { level: 'warn' } },
      },
    });
  });

  after(async function () {
    this.timeout(30000);
    if (red) await red.stop().catch(() => {});
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows German badges and sends German errors to a Catch node', async function () {
    const statusFile = path.join(dir, 'status.txt');
    const errorFile = path.join(dir, 'errors.txt');
    const writeTo = (id, file) => ({ id, type: 'file', z: 't', filename: file, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'utf8', wires: [[]] });
    await red.deploy([
      { id: 't', type: 'tab', label: 'de' },
      { id: 'r', type: 'influxdb-remote', remoteURL: 'http://127.0.0.1:9', writeAPI: 'v1' },
      { id: 'pause', type: 'inject', z: 't', props: [{ p: 'control', v: 'pause', vt: 'str' }], once: true, onceDelay: 0.5, wires: [['repl']] },
      { id: 'bad', type: 'inject', z: 't', props: [{ p: 'control', v: 'rewind', vt: 'str' }], once: true, onceDelay: 1, wires: [['repl']] },
      { id: 'st', type: 'status', z: 't', scope: ['repl', 'ds'], wires: [['st-text']] },
      { id: 'st-text', type: 'change', z: 't', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status.text', tot: 'msg' }], wires: [['st-file']] },
      writeTo('st-file', statusFile),
      // Created after the status node, which must exist when their first badge is set.
      { id: 'repl', type: 'influxdb-replication', z: 't', remote: 'r', remoteBucketName: 'b', wires: [[], []] },
      // A window that is not a duration: the node does not start, and says so to every message.
      { id: 'ds-bad', type: 'influxdb-downsample', z: 't', every: 'zehn Minuten', wires: [[]] },
      { id: 'ds', type: 'influxdb-downsample', z: 't', every: '1h', wires: [[]] },
      { id: 'line', type: 'inject', z: 't', props: [{ p: 'payload', v: 'm,s=a v=1', vt: 'str' }], once: true, onceDelay: 1, wires: [['ds', 'ds-bad']] },
      { id: 'c', type: 'catch', z: 't', scope: ['repl', 'ds-bad'], wires: [['c-text']] },
      { id: 'c-text', type: 'change', z: 't', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], wires: [['c-file']] },
      writeTo('c-file', errorFile),
    ]);
    const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    await waitFor(() => /pausiert · 0 B/.test(read(statusFile)) && /1 Serien · 0 Fen\./.test(read(statusFile)), {
      timeoutMs: 20000,
      message: 'German badges',
    }).catch((err) => assert.fail(`${err.message}; badges seen: ${JSON.stringify(read(statusFile))}`));
    await waitFor(() => read(errorFile).split('\n').length > 2, { timeoutMs: 20000, message: 'two errors at the Catch node' })
      .catch((err) => assert.fail(`${err.message}; errors seen: ${JSON.stringify(read(errorFile))}`));
    const errors = read(errorFile);
    assert.match(errors, /unbekanntes msg.control "rewind": erlaubt sind flush, pause, resume, status, purge/);
    assert.match(errors, /Downsampling nicht gestartet: every: /);
    assert.doesNotMatch(read(statusFile), /paused|series|win/);
  });
});
