// TLS options for the connections to a remote, from the remote's own settings (allowInsecureTLS, caFile) and
// an optional Node-RED `tls-config` node (CA, client certificate and key, passphrase, servername, verify
// server certificate). Plain module: the node file passes in what the tls-config node holds.
import type { ConnectionOptions as TlsConnectOptions } from 'tls';
import { tlsOptions, type RemoteSettings } from '../remote';

/** What a Node-RED `tls-config` node provides (its addTLSOptions() output, plus whether it loaded). */
export interface TlsConfigValues {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  servername?: string;
  /** The node's "verify server certificate"; undefined counts as on. */
  rejectUnauthorized?: boolean;
  /** False when the node could not load its files (it has logged why). */
  valid?: boolean;
}

export type ConnectTls = Pick<TlsConnectOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'servername' | 'rejectUnauthorized'>;

/**
 * The connect options for the remote. The checks stay as strict as either setting asks: the certificate is
 * verified unless the remote's "skip verification" or the tls-config's "verify server certificate" turns it
 * off, and both CAs (the remote's CA file and the tls-config's CA) are trusted. Throws a clear error when the
 * CA file cannot be read or the tls-config node is unusable.
 */
export function connectTlsOptions(settings: RemoteSettings, tlsConfig?: TlsConfigValues | null): ConnectTls {
  const own = tlsOptions(settings);
  const options: ConnectTls = { rejectUnauthorized: own.rejectUnauthorized };
  const cas: Array<string | Buffer> = own.ca ? [own.ca] : [];
  if (tlsConfig) {
    if (tlsConfig.valid === false) throw new Error('the TLS configuration node could not load its certificate files (see its error in the log)');
    if (Boolean(tlsConfig.cert) !== Boolean(tlsConfig.key)) throw new Error('the TLS configuration needs both a client certificate and its private key, or neither');
    if (tlsConfig.ca) cas.push(tlsConfig.ca);
    if (tlsConfig.cert) options.cert = tlsConfig.cert;
    if (tlsConfig.key) options.key = tlsConfig.key;
    if (tlsConfig.passphrase) options.passphrase = tlsConfig.passphrase;
    if (tlsConfig.servername) options.servername = tlsConfig.servername;
    if (tlsConfig.rejectUnauthorized === false) options.rejectUnauthorized = false;
  }
  if (cas.length === 1) options.ca = cas[0];
  else if (cas.length > 1) options.ca = cas;
  return options;
}

/** The tls-config's secrets, for redaction (the key's passphrase; the key itself is never put in a message). */
export function tlsSecrets(tlsConfig?: TlsConfigValues | null): string[] {
  return tlsConfig?.passphrase && tlsConfig.passphrase.length >= 3 ? [tlsConfig.passphrase] : [];
}

/**
 * A sentence naming why the remote's TLS layer refused us, from the OpenSSL error a socket reported, or null
 * when the error is not a TLS refusal. Under TLS 1.3 the remote refuses a client certificate only after the
 * handshake, so this is the only place the cause is visible (the request itself just sees the socket close).
 */
export function describeTlsAlert(err: { code?: string; message?: string } | null | undefined): string | null {
  if (!err) return null;
  const code = String(err.code ?? '');
  const text = `${code} ${err.message ?? ''}`;
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(text)) {
    return 'TLS: the remote requires a client certificate (certificate required): set one in the TLS configuration';
  }
  if (/UNKNOWN_CA|unknown ca/i.test(text)) {
    return 'TLS: the remote does not trust the client certificate (unknown ca): use one signed by a CA the remote accepts';
  }
  if (/BAD_CERTIFICATE|bad certificate/i.test(text)) return 'TLS: the remote refused the client certificate (bad certificate)';
  if (/CERTIFICATE_EXPIRED|certificate expired/i.test(text)) return 'TLS: the remote refused the client certificate (certificate expired)';
  if (/ALERT|SSL|TLS/i.test(code)) return `TLS: the remote refused the connection (${code})`;
  return null;
}
