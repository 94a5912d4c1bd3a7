// The undici dispatcher for one remote: a keep-alive Pool straight to it, or an undici ProxyAgent when a
// forward proxy applies (HTTPS remotes through a CONNECT tunnel, plain HTTP ones as proxied requests, as
// Node-RED's HTTP request node does). Either way the TLS options of the remote apply to the remote's
// connection, and the failures the layers below report vaguely get a sentence that names the cause.
import { Pool, ProxyAgent, buildConnector, type Dispatcher } from 'undici';
import type { RemoteSettings } from '../remote';
import { proxyAuthorization, proxyForURL, proxySecrets, type ProxyChoice, type ProxyNodeSettings } from './proxy';
import { connectTlsOptions, describeTlsAlert, tlsSecrets, type TlsConfigValues } from './tls';

export interface ConnectionOptions {
  /** A Node-RED tls-config node's values. */
  tlsConfig?: TlsConfigValues | null;
  /** A Node-RED http proxy node's values; without it the environment's proxy variables apply. */
  proxyConfig?: ProxyNodeSettings | null;
  /** The environment to read proxy variables from (tests); process.env by default. */
  env?: Record<string, string | undefined>;
  /** Sockets to the remote. */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

/** The proxy that requests to this remote go through, or null (for messages and tests). */
export function proxyOf(settings: RemoteSettings, options: ConnectionOptions = {}): ProxyChoice | null {
  return proxyForURL(settings.remoteURL, options.proxyConfig, options.env ?? process.env);
}

/** Every secret the connection holds (proxy password, key passphrase), for redaction. */
export function connectionSecrets(settings: RemoteSettings, options: ConnectionOptions = {}): string[] {
  let proxy: ProxyChoice | null = null;
  try {
    proxy = proxyOf(settings, options);
  } catch {
    // an unusable proxy URL holds nothing to redact beyond the node's password, added below
  }
  const fromNode = options.proxyConfig?.password && options.proxyConfig.password.length >= 3 ? [options.proxyConfig.password] : [];
  return [...proxySecrets(proxy), ...fromNode, ...tlsSecrets(options.tlsConfig)];
}

/**
 * The dispatcher for `settings.remoteURL`. Requests need no `origin`: it is set here, so the caller can use
 * it like a Pool. Throws a clear error for an unreadable CA file, an unusable tls-config or proxy URL.
 */
export function createDispatcher(settings: RemoteSettings, options: ConnectionOptions = {}): Dispatcher {
  const origin = new URL(settings.remoteURL.trim()).origin;
  const tls = connectTlsOptions(settings, options.tlsConfig);
  const proxy = proxyOf(settings, options);
  const connections = options.connections ?? 4;
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000;
  const alerts = new TlsAlerts();

  let base: Dispatcher;
  if (!proxy) {
    const connector = buildConnector({ ...tls } as buildConnector.BuildOptions);
    base = new Pool(origin, { connections, keepAliveTimeout, connect: alerts.watch(connector) });
  } else {
    const token = proxyAuthorization(proxy);
    base = new ProxyAgent({
      uri: proxy.url,
      ...(token ? { token } : {}),
      requestTls: tls as buildConnector.BuildOptions,
      // CONNECT for HTTPS; plain HTTP goes as proxied requests (many proxies allow CONNECT only to port 443).
      proxyTunnel: origin.startsWith('https:'),
      connections,
      keepAliveTimeout,
      // The pools to the remote get the proxy's connect function; watching it sees the remote's TLS socket.
      factory: (poolOrigin: string | URL, poolOptions: Pool.Options) =>
        new Pool(poolOrigin, { ...poolOptions, connect: alerts.watch(poolOptions.connect as buildConnector.connector) }),
    } as ProxyAgent.Options);
  }
  return base.compose((dispatch) => (opts, handler) => dispatch({ ...opts, origin }, new ExplainingHandler(handler, proxy, alerts)));
}

/** The TLS errors seen on this dispatcher's sockets, by local port, so a failed request can name its cause. */
class TlsAlerts {
  private readonly byPort = new Map<number, Error>();

  watch(connector: buildConnector.connector): buildConnector.connector {
    return (opts, callback) =>
      connector(opts, (err, socket) => {
        if (socket) {
          const port = socket.localPort;
          socket.on('error', (e: Error) => {
            if (!port || !describeTlsAlert(e)) return;
            this.byPort.set(port, e);
            // Only the last few matter: a request fails right after its socket does.
            if (this.byPort.size > 32) this.byPort.delete(this.byPort.keys().next().value as number);
          });
        }
        (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
      });
  }

  /** The TLS alert behind a socket error, if one was seen on that socket. */
  causeOf(err: unknown): Error | undefined {
    const port = (err as { socket?: { localPort?: number } })?.socket?.localPort;
    return port ? this.byPort.get(port) : undefined;
  }
}

type Handler = Dispatcher.DispatchHandler;

/**
 * Passes everything through, except: a request that failed because the remote's TLS layer closed the socket
 * fails with the alert's cause instead of "other side closed"; and a proxy's refusal of its credentials (407,
 * or tinyproxy's 401 page, or a refused CONNECT) fails with a sentence that names the proxy, never its secrets.
 */
class ExplainingHandler implements Handler {
  constructor(
    private readonly inner: Handler,
    private readonly proxy: ProxyChoice | null,
    private readonly alerts: TlsAlerts,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>, socket: import('stream').Duplex): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (this.proxy && isProxyRefusal(statusCode, headers)) {
      controller.abort(proxyError(this.proxy, statusCode));
      return;
    }
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.inner.onResponseError?.(controller, this.explain(err));
  }

  private explain(err: Error): Error {
    const alert = this.alerts.causeOf(err);
    const tlsCause = describeTlsAlert(alert) ?? describeTlsAlert(err as { code?: string; message?: string });
    if (tlsCause && (alert || /ERR_SSL|ALERT/.test(String((err as { code?: string }).code)))) {
      const code = (alert as { code?: string } | undefined)?.code ?? (err as { code?: string }).code;
      return Object.assign(new Error(`${tlsCause} [${code}]`), { code });
    }
    const tunnel = /Proxy response \((\d+)\)/.exec(err.message);
    if (this.proxy && tunnel) return proxyError(this.proxy, Number(tunnel[1]));
    if (this.proxy && /Proxy Authentication Required/i.test(err.message)) return proxyError(this.proxy, 407);
    return err;
  }
}

/** 407 is always the proxy's; tinyproxy answers a wrong password with 401 and its own realm. */
function isProxyRefusal(statusCode: number, headers: Record<string, string | string[] | undefined>): boolean {
  if (statusCode === 407) return true;
  if (statusCode !== 401) return false;
  const challenge = String(headers['www-authenticate'] ?? headers['WWW-Authenticate'] ?? '');
  return /realm="?tinyproxy/i.test(challenge);
}

function proxyError(proxy: ProxyChoice, statusCode: number): Error {
  const why =
    statusCode === 401 || statusCode === 407
      ? proxy.username || proxy.password
        ? 'refused the user name and password: check the proxy credentials'
        : 'asks for a user name and password: set them on the proxy node'
      : 'refused to connect to the remote';
  return new Error(`the proxy ${proxy.url} (${proxy.source}) ${why} (HTTP ${statusCode} from the proxy)`);
}
