// A remote connection (like `influx remote create`): where to write, which write API, and how to authenticate.
// Plain TypeScript: the Node-RED config node and the writer both build on it.
import { readFileSync } from 'fs';
import { FLEET_DEFAULTS } from './fleet/options';
import type { Precision } from './line-protocol';

export type WriteAPI = 'v2' | 'v1' | 'v3';
export const WRITE_APIS: readonly WriteAPI[] = ['v2', 'v1', 'v3'];

/** `/api/v3/write_lp` names precisions in full; the short names are not documented there. */
const V3_PRECISION: Record<Precision, string> = { ns: 'nanosecond', us: 'microsecond', ms: 'millisecond', s: 'second' };

export interface RemoteSettings {
  remoteURL: string;
  /** Org ID or org name (v2 only). */
  remoteOrgID: string;
  writeAPI: WriteAPI;
  allowInsecureTLS: boolean;
  /** Optional PEM file with the CA that signed the remote's certificate (private PKI). */
  caFile?: string;
  /** v3 only: `no_sync=true`, the remote answers before its WAL is persisted (faster, may lose a write if it crashes). */
  noSync: boolean;
}

/** Secrets: these live only in Node-RED credentials and must never reach a log, status, error or output. */
export interface RemoteCredentials {
  remoteAPIToken?: string;
  username?: string;
  password?: string;
}

export interface WriteRequest {
  url: string;
  headers: Record<string, string>;
}

export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: string;
}

/** Returns what is wrong with a remote's settings, one sentence each; empty when it is usable. */
export function validateRemote(settings: RemoteSettings, credentials: RemoteCredentials): string[] {
  const problems: string[] = [];
  const urlProblem = checkRemoteURL(settings.remoteURL);
  if (urlProblem) problems.push(urlProblem);
  if (!WRITE_APIS.includes(settings.writeAPI)) {
    problems.push(`write API must be "v2", "v1" or "v3", got ${JSON.stringify(String(settings.writeAPI))}`);
  } else if (settings.writeAPI === 'v2') {
    if (!settings.remoteOrgID || !settings.remoteOrgID.trim()) problems.push('org ID (or org name) is required for the v2 write API');
    if (!credentials.remoteAPIToken) problems.push('API token is required for the v2 write API');
  } else if (settings.writeAPI === 'v1' && Boolean(credentials.username) !== Boolean(credentials.password)) {
    problems.push('v1 write API needs both a username and a password, or neither');
  }
  // v3: the token is optional (a server started without authentication takes none), the org is not used.
  return problems;
}

/** Null when the URL is an absolute http(s) URL without credentials, otherwise why not. */
export function checkRemoteURL(remoteURL: string): string | null {
  if (!remoteURL || !String(remoteURL).trim()) return 'remote URL is required';
  let parsed: URL;
  try {
    parsed = new URL(String(remoteURL).trim());
  } catch {
    return `remote URL ${JSON.stringify(remoteURL)} is not a valid URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `remote URL must start with http:// or https://, got ${JSON.stringify(parsed.protocol)}`;
  }
  // Credentials in the URL would end up in logs and in the flow file: they belong in the credential fields.
  if (parsed.username || parsed.password) return 'remote URL must not contain a user name or password; use the credential fields';
  if (parsed.search || parsed.hash) return 'remote URL must not contain a query string or fragment';
  return null;
}

/** Splits an InfluxDB 1.x style `db/rp` bucket name; a name without a slash is the database alone. */
export function parseDatabaseAndRetentionPolicy(bucket: string): { db: string; rp?: string } {
  const slash = bucket.indexOf('/');
  if (slash < 0) return { db: bucket };
  const rp = bucket.slice(slash + 1);
  return rp ? { db: bucket.slice(0, slash), rp } : { db: bucket.slice(0, slash) };
}

/** Joins an API path onto the remote URL, keeping any path prefix (reverse proxies). */
export function joinURL(remoteURL: string, apiPath: string): URL {
  const base = new URL(remoteURL.trim());
  const prefix = base.pathname.replace(/\/+$/, '');
  base.pathname = prefix + apiPath;
  return base;
}

/** The URL and headers of a write of line protocol to `bucket` (a name or ID; `db/rp` for v1). */
export function buildWriteRequest(
  settings: RemoteSettings,
  credentials: RemoteCredentials,
  bucket: string,
  precision: Precision,
): WriteRequest {
  const headers: Record<string, string> = {};
  let url: URL;
  if (settings.writeAPI === 'v3') {
    // accept_partial=true (InfluxDB 3's default, stated so that it holds): the good lines of a batch are stored
    // and the 400 lists the refused ones by line number.
    url = joinURL(settings.remoteURL, '/api/v3/write_lp');
    url.searchParams.set('db', bucket);
    url.searchParams.set('precision', V3_PRECISION[precision]);
    url.searchParams.set('accept_partial', 'true');
    url.searchParams.set('no_sync', settings.noSync ? 'true' : 'false');
    if (credentials.remoteAPIToken) headers.authorization = `Bearer ${credentials.remoteAPIToken}`;
  } else if (settings.writeAPI === 'v1') {
    url = joinURL(settings.remoteURL, '/write');
    const { db, rp } = parseDatabaseAndRetentionPolicy(bucket);
    url.searchParams.set('db', db);
    if (rp) url.searchParams.set('rp', rp);
    url.searchParams.set('precision', precision);
    if (credentials.username) {
      const pair = `${credentials.username}:${credentials.password ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
  } else {
    url = joinURL(settings.remoteURL, '/api/v2/write');
    url.searchParams.set('org', settings.remoteOrgID.trim());
    url.searchParams.set('bucket', bucket);
    url.searchParams.set('precision', precision);
    if (credentials.remoteAPIToken) headers.authorization = `Token ${credentials.remoteAPIToken}`;
  }
  return { url: url.toString(), headers };
}

/** TLS options for the remote's connection pool. Throws a clear error if the CA file cannot be read. */
export function tlsOptions(settings: RemoteSettings): TlsOptions {
  const options: TlsOptions = { rejectUnauthorized: !settings.allowInsecureTLS };
  if (settings.caFile) {
    try {
      options.ca = readFileSync(settings.caFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read CA certificate file ${JSON.stringify(settings.caFile)}: ${(err as Error).message}`);
    }
  }
  return options;
}

/** The secrets of a remote, for scrubbing text that came from elsewhere (a remote's error body, an exception). */
export function secretsOf(credentials: RemoteCredentials): string[] {
  const secrets = [credentials.remoteAPIToken, credentials.password].filter((s): s is string => !!s && s.length >= 3);
  if (credentials.username && credentials.password) {
    secrets.push(Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64'));
  }
  return secrets;
}

/** Replaces every occurrence of each secret with `***`. Longest first, so a secret that contains another is
 *  removed whole rather than leaving its remainder behind. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}

/** The remote's properties as the editor saves them (older flows may hold strings for booleans). */
export interface RemoteConfigValues {
  remoteURL?: unknown;
  remoteOrgID?: unknown;
  writeAPI?: unknown;
  allowInsecureTLS?: unknown;
  caFile?: unknown;
  noSync?: unknown;
}

/** The value of every property a flow may leave out; the node file hands this same object to the editor. */
export const REMOTE_DEFAULTS = Object.freeze({
  name: '',
  remoteURL: '',
  remoteOrgID: '',
  writeAPI: 'v2' as WriteAPI,
  allowInsecureTLS: false,
  noSync: false,
  caFile: '',
  /** Ids of an optional Node-RED tls-config and http proxy config node. */
  tls: '',
  proxy: '',
  description: '',
  ...FLEET_DEFAULTS,
});

/** Turns the editor's values into typed settings. */
export function remoteSettingsFromConfig(config: RemoteConfigValues): RemoteSettings {
  const defaults = REMOTE_DEFAULTS;
  const caFile = String(config.caFile ?? defaults.caFile).trim();
  const allowInsecureTLS = config.allowInsecureTLS ?? defaults.allowInsecureTLS;
  const noSync = config.noSync ?? defaults.noSync;
  return {
    remoteURL: String(config.remoteURL ?? defaults.remoteURL).trim(),
    remoteOrgID: String(config.remoteOrgID ?? defaults.remoteOrgID).trim(),
    writeAPI: (String(config.writeAPI || defaults.writeAPI)) as WriteAPI,
    allowInsecureTLS: allowInsecureTLS === true || allowInsecureTLS === 'true',
    caFile: caFile || undefined,
    noSync: noSync === true || noSync === 'true',
  };
}
