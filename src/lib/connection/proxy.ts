// Which forward proxy (if any) carries the requests to a remote, decided the way Node-RED's own HTTP nodes
// decide it (@node-red/nodes core/network/lib/proxyHelper.js, "strict" mode): a configured `http proxy` node
// wins; otherwise the environment variables `<scheme>_proxy`, `all_proxy` and `no_proxy` in lower or upper
// case (lower first). npm's own `npm_config_*_proxy` variables, which Node-RED also reads, are left out: they
// are set by npm for npm, not for the gateway's traffic. Plain module: the node file passes in the proxy node's values.

/** The values of a Node-RED `http proxy` config node. */
export interface ProxyNodeSettings {
  url: string;
  /** Hosts that bypass the proxy (the node keeps a list; the environment a comma-separated string). */
  noProxy?: string[];
  username?: string;
  password?: string;
}

/** The proxy chosen for one remote. The URL never carries the credentials: they are kept apart as secrets. */
export interface ProxyChoice {
  /** scheme://host:port of the proxy, without user name or password: safe to log. */
  url: string;
  username?: string;
  password?: string;
  /** Where it came from, for messages: `proxy node` or the environment variable's name. */
  source: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

type Env = Record<string, string | undefined>;

/** Null when the proxy URL is usable, otherwise why not (never echoing credentials). */
export function checkProxyURL(url: string): string | null {
  const text = String(url ?? '').trim();
  if (!text) return 'proxy URL is empty';
  let parsed: URL;
  try {
    parsed = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    return 'proxy URL is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `proxy URL must start with http:// or https://, got ${JSON.stringify(parsed.protocol)}`;
  }
  if (!parsed.hostname) return 'proxy URL has no host';
  return null;
}

/**
 * The proxy for requests to `remoteURL`, or null for a direct connection. With `proxyNode` set, its URL and
 * no-proxy list are used and the environment is ignored (as Node-RED's HTTP request node does).
 */
export function proxyForURL(remoteURL: string, proxyNode?: ProxyNodeSettings | null, env: Env = process.env): ProxyChoice | null {
  let target: URL;
  try {
    target = new URL(remoteURL.trim());
  } catch {
    return null;
  }
  const scheme = target.protocol.replace(/:$/, '');
  // `host` keeps the brackets of an IPv6 address; the port is compared separately.
  const hostname = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number(target.port) || DEFAULT_PORTS[scheme] || 0;

  let proxyURL: string;
  let noProxy: string;
  let source: string;
  let username: string | undefined;
  let password: string | undefined;
  if (proxyNode) {
    proxyURL = String(proxyNode.url ?? '').trim();
    noProxy = (proxyNode.noProxy ?? []).join(',');
    source = 'proxy node';
    username = proxyNode.username || undefined;
    password = proxyNode.password || undefined;
  } else {
    noProxy = envValue(env, 'no_proxy');
    const name = [`${scheme}_proxy`, 'all_proxy'].find((n) => envValue(env, n));
    if (!name) return null;
    proxyURL = envValue(env, name);
    source = `environment variable ${name}`;
  }
  if (!proxyURL || !shouldProxy(hostname, port, noProxy)) return null;
  // A proxy URL without a scheme takes the remote's, as Node-RED does.
  let parsed: URL;
  try {
    parsed = new URL(proxyURL.includes('://') ? proxyURL : `${scheme}://${proxyURL}`);
  } catch {
    // Not quoted: the URL may hold a password.
    throw new Error(`the proxy URL from the ${source} is not a valid URL`);
  }
  // Credentials in the URL (the only way the environment can give them) are taken out; a proxy node's own
  // user and password win over them.
  if (!username && !password && (parsed.username || parsed.password)) {
    username = decodeURIComponent(parsed.username) || undefined;
    password = decodeURIComponent(parsed.password) || undefined;
  }
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.origin, username, password, source };
}

/** Lower case first, then upper case (Node-RED's default). */
function envValue(env: Env, name: string): string {
  return (env[name.toLowerCase()] || env[name.toUpperCase()] || '').trim();
}

/**
 * False when `no_proxy` names the host: `*` for all, an exact host, `.example.com` or `*.example.com` for a
 * domain and its subdomains (a suffix match, as Node-RED), each optionally with `:port`.
 */
export function shouldProxy(hostname: string, port: number, noProxy: string): boolean {
  const list = noProxy.toLowerCase();
  if (!list) return true;
  if (list.trim() === '*') return false;
  return list.split(/[,\s]/).every((entry) => {
    if (!entry) return true;
    const withPort = entry.match(/^(.+):(\d+)$/);
    let host = withPort ? withPort[1] : entry;
    const entryPort = withPort ? Number(withPort[2]) : 0;
    if (entryPort && entryPort !== port) return true;
    if (!/^[.*]/.test(host)) return hostname !== host;
    if (host.startsWith('*')) host = host.slice(1);
    return !hostname.endsWith(host);
  });
}

/** The proxy's secrets, for redaction: the password and the Basic header value made from it. */
export function proxySecrets(choice: ProxyChoice | null | undefined): string[] {
  if (!choice || (!choice.username && !choice.password)) return [];
  const secrets: string[] = [];
  if (choice.password && choice.password.length >= 3) secrets.push(choice.password, encodeURIComponent(choice.password));
  secrets.push(proxyAuthorization(choice).replace(/^Basic /, ''));
  return secrets;
}

/** The Proxy-Authorization header value (Basic), or '' without credentials. */
export function proxyAuthorization(choice: ProxyChoice): string {
  if (!choice.username && !choice.password) return '';
  return `Basic ${Buffer.from(`${choice.username ?? ''}:${choice.password ?? ''}`, 'utf8').toString('base64')}`;
}
