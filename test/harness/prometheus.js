'use strict';
// A real Prometheus (Debian package `prometheus`) for tests: its own config (written as JSON, which YAML reads),
// its TSDB in a temp folder, a free loopback port. The test gives the scrape jobs; queries go through its HTTP API.
// A missing binary rejects (never skips), as for the other servers.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { request } = require('undici');
const { findBinary, freePort, sleep, trackChild } = require('./servers');

const START_TIMEOUT_MS = 20000;

/**
 * Starts Prometheus scraping `jobs`: [{ job_name, targets: ['127.0.0.1:PORT'], metrics_path, basic_auth,
 * authorization, ... }] (anything else is passed on as the job's config). scrape_interval 1s.
 */
async function startPrometheus({ jobs }) {
  const binary = findBinary('prometheus', 'PROMETHEUS_BIN');
  if (!binary) throw new Error('prometheus not found on PATH: install the Debian package "prometheus" (apt-get install -y prometheus) or set PROMETHEUS_BIN');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-test-'));
  const logPath = path.join(dir, 'prometheus.log');
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1m' },
    scrape_configs: jobs.map(({ targets, ...job }) => ({ ...job, static_configs: [{ targets }] })),
  };
  const configPath = path.join(dir, 'prometheus.json.yml');
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.console.templates=${path.join(dir, 'consoles')}`,
      `--web.console.libraries=${path.join(dir, 'console_libraries')}`,
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  fs.closeSync(logFd);
  const state = trackChild(child, { dir });
  const url = `http://127.0.0.1:${port}`;
  const log = () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '');

  async function get(pathAndQuery) {
    const res = await request(url + pathAndQuery, { headersTimeout: 10000, bodyTimeout: 10000 });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (state.exited) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus exited during start (code ${state.exitCode}); log:\n${log().slice(-3000)}`);
    }
    try {
      if ((await get('/-/ready')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(`prometheus not ready after ${START_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }

  /** An instant query: [{ metric: {labels}, value: number }]. */
  async function query(promql) {
    const res = await get(`/api/v1/query?${new URLSearchParams({ query: promql })}`);
    if (res.status !== 200) throw new Error(`query ${promql} answered ${res.status}: ${res.text}`);
    const body = JSON.parse(res.text);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Active scrape targets: [{ job, health, lastError }]. */
  async function targets() {
    const res = await get('/api/v1/targets');
    const body = JSON.parse(res.text);
    return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError }));
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (!state.exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await state.exitPromise;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  return { url, port, query, targets, log, stop };
}

module.exports = { startPrometheus };
