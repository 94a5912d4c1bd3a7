// Prometheus metrics of every deployed replication stream (issue 17): on the admin API behind the read
// permission, and, when settings.js asks for it, on the HTTP node port too (behind httpNodeAuth when that is set,
// which Node-RED applies to every route there). A scrape reads only in-memory figures.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { CONTENT_TYPE, renderMetrics } from './lib/metrics/prometheus';
import type { StreamRegistry } from './lib/stream-registry';

export const ADMIN_METRICS_PATH = '/influxdb-replication/metrics';
export const DEFAULT_HTTP_NODE_METRICS_PATH = '/metrics';

/** `influxdbReplication.metrics` in settings.js. */
export interface MetricsSettings {
  /** Also serve the metrics on the HTTP node port (default false). */
  httpNode?: boolean;
  /** Path there (default /metrics), under httpNodeRoot. */
  path?: string;
}

export function registerMetricsRoutes(RED: NodeAPI, registry: StreamRegistry, settings: MetricsSettings | undefined): void {
  const serve = (_req: Request, res: Response): void => {
    res.set('content-type', CONTENT_TYPE);
    res.set('cache-control', 'no-store');
    res.send(renderMetrics(registry.figures()));
  };
  RED.httpAdmin.get(ADMIN_METRICS_PATH, RED.auth.needsPermission('influxdb-replication.read'), serve);

  if (settings?.httpNode !== true) return;
  const path = typeof settings.path === 'string' && settings.path.startsWith('/') ? settings.path : DEFAULT_HTTP_NODE_METRICS_PATH;
  if (settings.path !== undefined && path !== settings.path) {
    RED.log.warn(`influxdb-replication: metrics path ${JSON.stringify(settings.path)} must start with "/"; serving ${path}`);
  }
  RED.httpNode.get(path, serve);
}
