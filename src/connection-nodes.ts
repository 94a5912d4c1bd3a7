// Resolves the remote's optional `tls` (a core tls-config node) and `proxy` (a core http proxy node) into the
// plain values src/lib/connection takes. Shared by the remote node and the admin "Test connection" route.
import type { NodeAPI } from 'node-red';
import type { ConnectionOptions } from './lib/connection/dispatcher';
import { checkProxyURL, type ProxyNodeSettings } from './lib/connection/proxy';
import type { TlsConfigValues } from './lib/connection/tls';

interface TlsConfigNode {
  valid?: boolean;
  addTLSOptions?: (opts: Record<string, unknown>) => Record<string, unknown>;
}

interface HttpProxyNode {
  url?: string;
  noproxy?: string[];
  credentials?: { username?: string; password?: string };
}

export interface ResolvedConnection {
  options: ConnectionOptions;
  /** One sentence per unusable reference; never contains a secret. */
  problems: string[];
}

/** Looks up the tls-config and http proxy nodes by id (empty ids mean "not used"). */
export function resolveConnection(RED: NodeAPI, tlsId: unknown, proxyId: unknown): ResolvedConnection {
  const problems: string[] = [];
  const options: ConnectionOptions = {};
  if (typeof tlsId === 'string' && tlsId) {
    const node = RED.nodes.getNode(tlsId) as unknown as TlsConfigNode | null;
    if (!node || typeof node.addTLSOptions !== 'function') {
      problems.push(`the TLS configuration node ${JSON.stringify(tlsId)} is not deployed (deploy it, or clear the TLS field)`);
    } else if (node.valid === false) {
      problems.push('the TLS configuration node could not load its certificate files (see its error in the log)');
    } else {
      // addTLSOptions gives what the node loaded (files or uploaded PEM text) exactly as core nodes use it.
      const opts = node.addTLSOptions({});
      options.tlsConfig = {
        ca: opts.ca as TlsConfigValues['ca'],
        cert: opts.cert as TlsConfigValues['cert'],
        key: opts.key as TlsConfigValues['key'],
        passphrase: opts.passphrase as string | undefined,
        servername: opts.servername as string | undefined,
        rejectUnauthorized: opts.rejectUnauthorized === false ? false : undefined,
        valid: true,
      };
    }
  }
  if (typeof proxyId === 'string' && proxyId) {
    const node = RED.nodes.getNode(proxyId) as unknown as HttpProxyNode | null;
    if (!node) {
      problems.push(`the proxy configuration node ${JSON.stringify(proxyId)} is not deployed (deploy it, or clear the proxy field)`);
    } else {
      const urlProblem = checkProxyURL(String(node.url ?? ''));
      if (urlProblem) problems.push(urlProblem);
      const proxy: ProxyNodeSettings = {
        url: String(node.url ?? ''),
        noProxy: Array.isArray(node.noproxy) ? node.noproxy.map(String) : [],
        username: node.credentials?.username || undefined,
        password: node.credentials?.password || undefined,
      };
      options.proxyConfig = proxy;
    }
  }
  return { options, problems };
}
