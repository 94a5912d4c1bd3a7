// The `influxdb-downsample` node: line protocol in, one message of aggregated line protocol per closed window
// out (aggregateWindow as a flow node, placed before influxdb-replication). Thin wiring: the work is done by
// Downsampler (src/lib/downsample); this file adds the wall clock, the node context and Node-RED's messages.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { currentTimeNs, isPrecision, parseLine, preparePayload, type Precision } from './lib/line-protocol';
import {
  DOWNSAMPLE_DEFAULTS,
  Downsampler,
  type DownsampleProperties,
  downsampleConfigErrorStatus,
  downsampleStatus,
  parseDownsampleProperties,
  type StatusText,
  type WindowBatch,
} from './lib/downsample';
import { translator } from './i18n';

type DownsampleDef = NodeDef & DownsampleProperties & { precision?: string; contextStore?: string };

interface DownsampleMessage extends NodeMessageInFlow {
  control?: unknown;
  precision?: unknown;
}

/** Test hooks read from settings.js (`influxdbDownsample: {...}`): a clock, and how often windows are checked. */
interface DownsampleSettings {
  now?: () => bigint;
  tickMs?: number;
  saveMs?: number;
}

/** The node context key holding the engine's snapshot. */
const STATE_KEY = 'downsampleState';
const TICK_MS = 1000;
const SAVE_INTERVAL_MS = 10000;
/** How many problems an error message names before it only counts. */
const PROBLEMS_NAMED = 3;

export = function (RED: NodeAPI) {
  const t = translator(RED, 'influxdb-downsample');
  const statusText: StatusText = (key, vars) => t(`influxdb-downsample.${key}`, vars);
  // Node-RED deletes a node's context when the node stops if no context store is configured in settings.js,
  // so a redeploy would lose the open windows. The closing node therefore also hands its snapshot to its
  // successor through this map (it lives as long as the runtime); the context store covers restarts.
  const handoff = new Map<string, unknown>();

  function InfluxdbDownsample(this: Node, config: DownsampleDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const hooks = (RED.settings as unknown as { influxdbDownsample?: DownsampleSettings }).influxdbDownsample ?? {};
    const now = hooks.now ?? currentTimeNs;
    const tickMs = hooks.tickMs ?? TICK_MS;
    const saveMs = hooks.saveMs ?? SAVE_INTERVAL_MS;
    const store = config.contextStore ? String(config.contextStore).trim() || undefined : undefined;

    const { options, problems } = parseDownsampleProperties(config);
    const precision = config.precision || DOWNSAMPLE_DEFAULTS.precision;
    if (!isPrecision(precision)) problems.push(t('influxdb-downsample.errors.precisionSetting', { precision: JSON.stringify(precision) }));
    const configError = problems.length > 0 ? t('influxdb-downsample.errors.config', { problems: problems.join('; ') }) : null;

    let engine: Downsampler | null = null;
    let dirty = false;
    let lastStatus = '';
    let tickTimer: NodeJS.Timeout | null = null;
    let saveTimer: NodeJS.Timeout | null = null;
    let closed = false;

    const sendBatches = (batches: WindowBatch[], send: (msg: NodeMessage) => void) => {
      for (const batch of batches) {
        send({
          payload: batch.lines.join('\n'),
          // The output is always in ns: influxdb-replication reads msg.precision, so its own setting does not matter.
          precision: 'ns',
          window: { start: batch.startNs.toString(), stop: batch.stopNs.toString() },
        } as NodeMessage);
      }
      if (batches.length > 0) dirty = true;
    };

    const showStatus = () => {
      if (!engine) return;
      const status = downsampleStatus(engine.stats(), statusText);
      const signature = `${status.fill}|${status.shape}|${status.text}`;
      if (signature === lastStatus) return;
      lastStatus = signature;
      node.status(status);
    };

    // Windows restored under other settings wait here for the first tick: while the flows are still starting,
    // a message sent now could miss nodes that do not exist yet.
    let pending: WindowBatch[] = [];

    let unwritableSeen = 0;
    const tick = () => {
      if (!engine) return;
      const batches = pending.concat(engine.emitDue(now()));
      pending = [];
      sendBatches(batches, (msg) => node.send(msg));
      warnUnwritable();
      showStatus();
    };

    // An aggregate line protocol cannot carry (an integer sum beyond int64) is left out of its window's message.
    const warnUnwritable = () => {
      const unwritable = engine ? engine.stats().unwritableLines : 0;
      if (unwritable > unwritableSeen) {
        node.warn(t('influxdb-downsample.errors.unwritable', { count: unwritable - unwritableSeen }));
        unwritableSeen = unwritable;
      }
    };

    const save = (callback: (err?: Error) => void, handOver = false) => {
      if (!engine) return callback();
      dirty = false;
      const snapshot = engine.snapshot();
      if (handOver) handoff.set(node.id, snapshot);
      if (store) node.context().set(STATE_KEY, snapshot, store, callback);
      else node.context().set(STATE_KEY, snapshot, callback);
    };

    const saveIfDirty = () => {
      if (!dirty) return;
      save((err) => {
        if (err) node.warn(t('influxdb-downsample.errors.save', { message: err.message }));
      });
    };

    const load = (): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const handedOver = handoff.get(node.id);
        handoff.delete(node.id);
        if (handedOver !== undefined) return resolve(handedOver);
        const callback = (err: Error | null | undefined, value: unknown) => (err ? reject(err) : resolve(value));
        if (store) node.context().get(STATE_KEY, store, callback);
        else node.context().get(STATE_KEY, callback);
      });

    const ready: Promise<void> = configError
      ? Promise.resolve().then(() => {
          node.error(configError);
          node.status(downsampleConfigErrorStatus(statusText));
        })
      : load()
          .catch((err: Error) => {
            node.warn(t('influxdb-downsample.errors.load', { message: err.message }));
            return undefined;
          })
          .then((saved) => {
            engine = new Downsampler(options);
            if (saved !== undefined && saved !== null) {
              try {
                const restored = Downsampler.restore(saved, options);
                engine = restored.engine;
                // Windows saved under other window settings are emitted rather than lost.
                pending = restored.flushed;
              } catch (err) {
                node.warn(t('influxdb-downsample.errors.restore', { message: (err as Error).message }));
              }
            }
            unwritableSeen = engine.stats().unwritableLines;
            // Closed before the saved state was read: close() saves it back, no timers for a stopped node.
            if (closed) {
              if (pending.length > 0) sendBatches(pending.splice(0), (msg) => node.send(msg));
              return;
            }
            // Windows that closed while the node was stopped are emitted on the first tick.
            tickTimer = setInterval(tick, tickMs);
            saveTimer = setInterval(saveIfDirty, saveMs);
            lastStatus = '';
            showStatus();
          });

    node.on('input', (msg: DownsampleMessage, send, done) => {
      ready
        .then(() => handleInput(msg, send, done))
        .catch((err: Error) => done(err));
    });

    function handleInput(msg: DownsampleMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void): void {
      if (!engine) return done(new Error(configError ?? t('influxdb-downsample.errors.notRunning')));
      if (msg.control !== undefined) {
        if (msg.control !== 'flush') {
          return done(new Error(t('influxdb-downsample.errors.control', { control: JSON.stringify(msg.control) })));
        }
        sendBatches(engine.flush(), send);
        warnUnwritable();
        showStatus();
        return done();
      }
      const inputPrecision = msg.precision === undefined || msg.precision === null || msg.precision === '' ? precision : msg.precision;
      if (!isPrecision(inputPrecision)) {
        return done(new Error(t('influxdb-downsample.errors.precision', { precision: JSON.stringify(inputPrecision) })));
      }
      const prepared = preparePayload(msg.payload, { precision: inputPrecision as Precision, nowNs: now() });
      const problems: string[] = prepared.errors.map((e) =>
        e.lineNumber > 0 ? t('influxdb-downsample.errors.line', { line: e.lineNumber, reason: e.reason }) : e.reason,
      );
      let added = 0;
      let late = 0;
      let refused = prepared.errors.length;
      for (const line of prepared.lines) {
        const parsed = parseLine(line);
        if (!parsed.ok) {
          refused += 1;
          problems.push(parsed.reason);
          continue;
        }
        const result = engine.add(parsed.point);
        if (result.outcome === 'added') added += 1;
        else if (result.outcome === 'late') late += 1;
        else refused += 1;
        problems.push(...result.problems);
      }
      if (added > 0) dirty = true;
      showStatus();

      const total = prepared.lines.length + prepared.errors.length;
      if (problems.length > 0) {
        const named = problems.slice(0, PROBLEMS_NAMED).join('; ');
        const more = problems.length > PROBLEMS_NAMED ? t('influxdb-downsample.errors.more', { count: problems.length - PROBLEMS_NAMED }) : '';
        return done(new Error(t('influxdb-downsample.errors.refused', { refused, total, added, late, details: named + more })));
      }
      if (total === 0) return done(new Error(t('influxdb-downsample.errors.empty')));
      if (late === total) {
        const lateBefore = engine.lateBefore();
        return done(new Error(t('influxdb-downsample.errors.late', { late, before: lateBefore === null ? '?' : new Date(Number(lateBefore / 1000000n)).toISOString() })));
      }
      done();
    }

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      if (tickTimer) clearInterval(tickTimer);
      if (saveTimer) clearInterval(saveTimer);
      tickTimer = saveTimer = null;
      // Restored windows not sent yet (closed again within the first tick) cannot go back into the new
      // engine's snapshot: send them now rather than drop them.
      if (pending.length > 0) sendBatches(pending.splice(0), (msg) => node.send(msg));
      // Open windows are saved, not emitted: downstream nodes are stopping too, and the next start (a
      // redeploy or a restart with a persistent store) emits whatever closed in the meantime.
      ready
        .then(
          () =>
            new Promise<void>((resolve) =>
              save((err) => {
                if (err) node.error(t('influxdb-downsample.errors.save', { message: err.message }));
                resolve();
              }, !removed),
            ),
        )
        .catch(() => {})
        .finally(() => done());
    });
  }

  RED.nodes.registerType('influxdb-downsample', InfluxdbDownsample, {
    // The editor reads the defaults as RED.settings.influxdbDownsampleDefaults: one source for both sides.
    settings: { influxdbDownsampleDefaults: { value: DOWNSAMPLE_DEFAULTS, exportable: true } },
  });
};
