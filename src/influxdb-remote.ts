// The `influxdb-remote` config node: one remote connection (like `influx remote create`), shared by the
// replication streams that write to it. It validates its settings, keeps the secrets in Node-RED credentials,
// and owns the one connection pool to the remote.
import type { NodeAPI } from 'node-red';
import { RemoteClient } from './lib/writer';
import { REMOTE_DEFAULTS, type RemoteCredentials, remoteSettingsFromConfig, secretsOf, validateRemote } from './lib/remote';
import { connectionSecrets } from './lib/connection/dispatcher';
import { resolveConnection } from './connection-nodes';
import type { InfluxdbRemoteDef, InfluxdbRemoteNode } from './node-types';
import { translator } from './i18n';
import { parseFleetOptions } from './lib/fleet/options';
import { WriteRateLimit } from './lib/fleet/rate-limit';

export = function (RED: NodeAPI) {
  const t = translator(RED, 'influxdb-remote');
  function InfluxdbRemote(this: InfluxdbRemoteNode, config: InfluxdbRemoteDef) {
    RED.nodes.createNode(this, config);
    const credentials: RemoteCredentials = this.credentials ?? {};
    this.remoteSettings = remoteSettingsFromConfig(config);
    // The optional tls-config and http proxy nodes apply to every connection to this remote.
    const connection = resolveConnection(RED, config.tls, config.proxy);
    this.problems = [...validateRemote(this.remoteSettings, credentials), ...connection.problems];
    const fleet = parseFleetOptions(config);
    this.fleet = fleet.options;
    this.problems.push(...fleet.problems);
    // One limit for every stream of this remote: they share its quota.
    const rateLimit =
      this.fleet.rateLimitBytes > 0
        ? new WriteRateLimit({ limitBytes: this.fleet.rateLimitBytes, periodMs: this.fleet.rateLimitPeriodSeconds * 1000 })
        : null;
    if (this.problems.length > 0) {
      this.error(t('influxdb-remote.errors.invalid', { name: this.name || this.id, problems: this.problems.join('; ') }));
    }

    let client: RemoteClient | null = null;
    this.getClient = () => {
      if (this.problems.length > 0) throw new Error(this.problems.join('; '));
      if (!client) client = new RemoteClient(this.remoteSettings, credentials, { connection: connection.options, rateLimit });
      return client;
    };
    this.secrets = () => [...secretsOf(credentials), ...connectionSecrets(this.remoteSettings, connection.options)];

    this.on('close', (_removed: boolean, done: () => void) => {
      const closing = client;
      client = null;
      if (!closing) return done();
      closing.close().then(done, () => done());
    });
  }

  RED.nodes.registerType<InfluxdbRemoteNode, InfluxdbRemoteDef, { influxdbRemoteDefaults: typeof REMOTE_DEFAULTS }, RemoteCredentials>('influxdb-remote', InfluxdbRemote, {
    // The editor reads the defaults as RED.settings.influxdbRemoteDefaults: one source for both sides.
    settings: { influxdbRemoteDefaults: { value: REMOTE_DEFAULTS, exportable: true } },
    credentials: {
      remoteAPIToken: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
