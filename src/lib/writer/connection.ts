// Where the remote client's HTTP connections come from: one factory that knows the remote's settings.
// The default (src/lib/connection) is a keep-alive pool to the remote's origin with its TLS options (the
// remote's own and a Node-RED tls-config), or an undici ProxyAgent when a forward proxy applies. Tests plug in
// another transport (undici MockAgent, a custom Dispatcher) through RemoteClientOptions.createDispatcher.
import type { Dispatcher } from 'undici';
import { createDispatcher as connectToRemote, type ConnectionOptions } from '../connection/dispatcher';
import type { RemoteSettings } from '../remote';

export type { ConnectionOptions };

/**
 * Makes the dispatcher one RemoteClient sends through. Requests carry a path but no origin, so the
 * dispatcher must be bound to the remote's origin (a Pool, or MockAgent.get(origin)). The client closes it.
 */
export type DispatcherFactory = (settings: RemoteSettings, options: ConnectionOptions) => Dispatcher;

/** The default. Throws a clear error for an unreadable CA file, an unusable tls-config or proxy URL. */
export const createDispatcher: DispatcherFactory = (settings, options) => connectToRemote(settings, options);
