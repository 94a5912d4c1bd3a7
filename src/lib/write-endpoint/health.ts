// The answers to GET /ping and GET /health, shaped like InfluxDB's: clients (the influx 1.x CLI, Telegraf,
// client libraries) ask one of them before they write, and read the version from the ping's headers.

/** What the endpoint reports as its InfluxDB version: the v2/v3 write APIs and the v1 one are all served. */
export const SERVED_VERSION = '2.7.0-node-red';

export function pingHeaders(build: string): Record<string, string> {
  return { 'x-influxdb-version': SERVED_VERSION, 'x-influxdb-build': build };
}

export interface HealthBody {
  name: string;
  message: string;
  status: 'pass' | 'fail';
  checks: unknown[];
  version: string;
  commit: string;
}

export function healthBody(ready: boolean): HealthBody {
  return {
    name: 'influxdb',
    message: ready ? 'ready for queries and writes' : 'not ready: no token set',
    status: ready ? 'pass' : 'fail',
    checks: [],
    version: SERVED_VERSION,
    commit: 'node-red-contrib-influxdb-replication',
  };
}
