// The `influxdb-replication` node: line protocol from a flow -> durable queue -> remote bucket.
// Thin wiring: the work is done by ReplicationStream (src/lib/stream.ts).
import * as os from 'os';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { isPrecision, preparePayload, type LineError } from './lib/line-protocol';
import { configErrorStatus, type NodeStatus, type StatusText, statusOf } from './lib/node-status';
import { type DroppedLines, ReplicationStream, type StreamConfig } from './lib/stream';
import {
  parseReplicationSettings,
  queueDirFor,
  REPLICATION_DEFAULTS,
  REPLICATION_MINIMUMS,
  type ReplicationProperties,
} from './lib/stream-config';
import { StreamLog, type StreamLogLine } from './lib/stream-log';
import { StreamRegistry, throttle } from './lib/stream-registry';
import { registerAdminRoutes } from './admin-routes';
import { type MetricsSettings, registerMetricsRoutes } from './metrics-routes';
import { addInstanceTagToLines } from './lib/fleet/instance-tag';
import { OVERFLOW_POLICIES } from './lib/queue';
import { translator } from './i18n';
import type { InfluxdbRemoteNode } from './node-types';

type ReplicationDef = NodeDef & ReplicationProperties;

interface ReplicationMessage extends NodeMessageInFlow {
  control?: unknown;
  precision?: unknown;
}

const CONTROLS = ['flush', 'pause', 'resume', 'status', 'purge'] as const;
type Control = (typeof CONTROLS)[number];
/** How many refused lines an error message names before it only counts. */
const REFUSED_LINES_NAMED = 3;
const STATUS_INTERVAL_MS = 1000;

export = function (RED: NodeAPI) {
  const t = translator(RED, 'influxdb-replication');
  const statusText: StatusText = (key, vars) => t(`influxdb-replication.${key}`, vars);
  const registry = new StreamRegistry();
  registerAdminRoutes(RED, registry);

  /** `influxdbReplication` in settings.js: the queue root, and tuning for tests and unusual remotes. */
  type PackageSettings = { queueDir?: string; metrics?: MetricsSettings; logIntervalMs?: number } & Pick<StreamConfig, 'writer' | 'expireIntervalMs'>;
  const packageSettings = (): PackageSettings | undefined =>
    (RED.settings as unknown as { influxdbReplication?: PackageSettings }).influxdbReplication;
  registerMetricsRoutes(RED, registry, packageSettings()?.metrics);

  function queueRoot(): string {
    const custom = packageSettings()?.queueDir;
    if (custom) return path.resolve(custom);
    const userDir = (RED.settings as unknown as { userDir?: string }).userDir || path.join(os.homedir(), '.node-red');
    return path.join(userDir, 'influxdb-replication');
  }

  function InfluxdbReplication(this: Node, config: ReplicationDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const { settings, problems } = parseReplicationSettings(config);
    const remote = settings.remoteID ? (RED.nodes.getNode(settings.remoteID) as InfluxdbRemoteNode | null) : null;
    if (settings.remoteID && !remote) problems.push(t('influxdb-replication.errors.remoteNotDeployed', { id: settings.remoteID }));
    if (remote && remote.problems.length > 0) {
      problems.push(t('influxdb-replication.errors.remoteInvalid', { name: remote.name || remote.id, problems: remote.problems.join('; ') }));
    }

    const tuning = packageSettings();
    let stream: ReplicationStream | null = null;
    let opening: Promise<ReplicationStream | null> = Promise.resolve(null);
    let configError: string | null = null;

    // Retries and acks repeat the same badge many times: pass on only changes (each one is a comms message).
    let shownStatus = '';
    const setStatus = (status: NodeStatus) => {
      const key = `${status.fill}/${status.shape}/${status.text}`;
      if (key === shownStatus) return;
      shownStatus = key;
      node.status(status);
    };

    /** Badge and sidebar; with `asMessage`, also the status message on output 1. */
    const showRow = (asMessage: boolean) => {
      if (!stream) return;
      const row = stream.row();
      setStatus(statusOf(row, statusText));
      if (asMessage) node.send([{ topic: 'status', payload: row }, null]);
      RED.comms.publish(`influxdb-replication/replications/${node.id}`, row, false);
    };
    // Send attempts and controls: at most once a second under load.
    const publish = throttle(() => showRow(true), STATUS_INTERVAL_MS);
    // Appends only change the queue figures: shown at most once a second, without a status message, which is
    // for send attempts.
    const showQueued = throttle(() => showRow(false), STATUS_INTERVAL_MS);

    const showStatus = () => {
      if (stream) setStatus(statusOf(stream.row(), statusText));
    };
    // State changes and drops for the log of a gateway nobody watches, a few lines an outage (src/lib/stream-log.ts).
    const streamLog = new StreamLog(
      (line: StreamLogLine) => {
        const text = t(`influxdb-replication.log.${line.key}`, line.vars);
        if (line.level === 'info') node.log(text);
        else node.warn(text);
      },
      { intervalMs: packageSettings()?.logIntervalMs },
    );

    if (problems.length > 0) {
      configError = t('influxdb-replication.errors.config', { problems: problems.join('; ') });
      node.error(configError);
      setStatus(configErrorStatus(statusText));
    } else {
      let client;
      let queueDir;
      try {
        client = remote!.getClient();
        queueDir = queueDirFor(queueRoot(), node.id);
      } catch (err) {
        configError = (err as Error).message;
        node.error(configError);
        setStatus(configErrorStatus(statusText));
      }
      if (client && queueDir) {
        const { precision: _appliedAtIngest, ...streamSettings } = settings;
        const streamConfig: StreamConfig = {
          ...streamSettings,
          id: node.id,
          name: settings.name || node.id,
          queueDir,
          // Tuning for tests and unusual remotes; not in the editor.
          writer: { ...tuning?.writer, recoveryJitterMs: remote!.fleet.recoveryJitterSeconds * 1000 },
          expireIntervalMs: tuning?.expireIntervalMs,
        };
        opening = ReplicationStream.open(streamConfig, client).then(
          (opened) => {
            stream = opened;
            registry.add(opened);
            opened.on('change', () => {
              showStatus();
              publish();
              streamLog.row(opened.row());
            });
            opened.on('queued', showQueued);
            opened.on('dropped', (dropped: DroppedLines) => {
              node.send([null, droppedMessage(dropped)]);
              streamLog.dropped(dropped.reason, dropped.lineCount);
            });
            streamLog.row(opened.row());
            showStatus();
            return opened;
          },
          (err: Error) => {
            configError = t('influxdb-replication.errors.open', { message: err.message });
            node.error(configError);
            setStatus(configErrorStatus(statusText));
            return null;
          },
        );
      }
    }

    node.on('input', (msg: ReplicationMessage, send, done) => {
      handleInput(msg, send, done).catch((err: Error) => done(err));
    });

    async function handleInput(
      msg: ReplicationMessage,
      send: (msg: Array<NodeMessageInFlow | null>) => void,
      done: (err?: Error) => void,
    ): Promise<void> {
      const ready = await opening;
      if (msg.control !== undefined) return handleControl(msg, ready, send, done);
      if (!ready) return done(new Error(configError ?? t('influxdb-replication.errors.notRunning')));

      const precision = msg.precision === undefined || msg.precision === null || msg.precision === '' ? settings.precision : msg.precision;
      if (!isPrecision(precision)) {
        return done(new Error(t('influxdb-replication.errors.precision', { precision: JSON.stringify(precision) })));
      }
      const prepared = preparePayload(msg.payload, { precision });
      if (prepared.lines.length > 0) {
        // Resolves only once the lines are on disk: done() below then means "safely queued".
        // Fleet (issue 17): tagged when queued, so the queue, its figures and every retry carry the same bytes.
        const instanceId = remote?.fleet.instanceId;
        await ready.enqueue(instanceId ? addInstanceTagToLines(prepared.lines, instanceId) : prepared.lines);
      }
      if (prepared.errors.length > 0) {
        return done(new Error(refusedLinesMessage(prepared.errors, prepared.lines.length)));
      }
      // A message of only blank lines and comments (or an empty one) is done with nothing queued, as InfluxDB
      // answers such a body with 204: a gateway in front of this node must not refuse what InfluxDB takes.
      done();
    }

    async function handleControl(
      msg: ReplicationMessage,
      ready: ReplicationStream | null,
      send: (msg: Array<NodeMessageInFlow | null>) => void,
      done: (err?: Error) => void,
    ): Promise<void> {
      const control = String(msg.control) as Control;
      if (!CONTROLS.includes(control)) {
        return done(new Error(t('influxdb-replication.errors.control', { control: JSON.stringify(msg.control), allowed: CONTROLS.join(', ') })));
      }
      if (!ready) return done(new Error(configError ?? t('influxdb-replication.errors.notRunning')));
      if (control === 'flush') ready.flush();
      else if (control === 'pause') ready.pause();
      else if (control === 'resume') ready.resume();
      else if (control === 'purge') await ready.purge();
      if (control === 'status') send([{ ...msg, topic: 'status', payload: ready.row() }, null]);
      showStatus();
      done();
    }

    node.on('close', (removed: boolean, done: () => void) => {
      publish.cancel();
      showQueued.cancel();
      streamLog.close();
      opening
        .then(async (opened) => {
          if (!opened) return;
          registry.remove(opened);
          if (removed) await opened.destroy();
          else await opened.close();
        })
        .catch((err: Error) => node.error(t('influxdb-replication.errors.close', { message: err.message })))
        .finally(() => done());
    });
  }

  function refusedLinesMessage(errors: LineError[], accepted: number): string {
    const named = errors
      .slice(0, REFUSED_LINES_NAMED)
      .map((e) => (e.lineNumber > 0 ? t('influxdb-replication.errors.line', { line: e.lineNumber, reason: e.reason }) : e.reason))
      .join('; ');
    const more = errors.length > REFUSED_LINES_NAMED ? t('influxdb-replication.errors.more', { count: errors.length - REFUSED_LINES_NAMED }) : '';
    return t('influxdb-replication.errors.refused', {
      refused: errors.length,
      total: errors.length + accepted,
      accepted,
      details: named + more,
    });
  }

  function droppedMessage(dropped: DroppedLines): NodeMessageInFlow {
    return {
      topic: 'dropped',
      payload: dropped.lines.join('\n'),
      reason: dropped.reason,
      lineCount: dropped.lineCount,
      bytes: dropped.bytes,
      statusCode: dropped.statusCode,
      error: dropped.error,
    } as unknown as NodeMessageInFlow;
  }

  RED.nodes.registerType('influxdb-replication', InfluxdbReplication, {
    // The editor reads these as RED.settings.influxdbReplicationDefaults and ...Minimums: one source for both sides.
    settings: {
      influxdbReplicationDefaults: { value: REPLICATION_DEFAULTS, exportable: true },
      influxdbReplicationMinimums: { value: REPLICATION_MINIMUMS, exportable: true },
      influxdbReplicationOverflowPolicies: { value: OVERFLOW_POLICIES, exportable: true },
    },
  });
};
