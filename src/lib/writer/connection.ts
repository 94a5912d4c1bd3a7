// Where the remote client's HTTP connections come from: one factory that knows the remote's settings.
// Today a keep-alive pool per origin with the remote's TLS options; a proxy (undici ProxyAgent), client
// certificates (connect options) or a test transport (undici MockAgent, a custom Dispatcher) plug in here.
import { type Dispatcher, Pool } from 'undici';
import { tlsOptions, type RemoteSettings } from '../remote';

export interface ConnectionOptions {
  /** Sockets in the pool; a stream uses at most 4 requests at a time. Default 4. */
  connections?: number;
}

/**
 * Makes the dispatcher one RemoteClient sends through. Requests carry a path but no origin, so the
 * dispatcher must be bound to the remote's origin (a Pool, or MockAgent.get(origin)). The client closes it.
 */
export type DispatcherFactory = (settings: RemoteSettings, options: ConnectionOptions) => Dispatcher;

/** The default: a keep-alive pool to the remote's origin. Throws a clear error when the CA file is unreadable. */
export const createDispatcher: DispatcherFactory = (settings, options) => {
  const tls = tlsOptions(settings);
  const origin = new URL(settings.remoteURL.trim()).origin;
  return new Pool(origin, {
    connections: options.connections ?? 4,
    keepAliveTimeout: 30_000,
    connect: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}) },
  });
};
