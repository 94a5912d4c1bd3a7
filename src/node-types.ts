// Types shared by the Node-RED node files (never imported by src/lib).
import type { Node, NodeDef } from 'node-red';
import type { RemoteClient } from './lib/writer';
import type { RemoteCredentials, RemoteSettings, WriteAPI } from './lib/remote';
import type { FleetOptions, FleetProperties } from './lib/fleet/options';

export interface InfluxdbRemoteDef extends NodeDef, FleetProperties {
  remoteURL: string;
  remoteOrgID: string;
  writeAPI: WriteAPI;
  allowInsecureTLS: boolean;
  caFile?: string;
  description?: string;
  /** Id of a core tls-config node (optional). */
  tls?: string;
  /** Id of a core http proxy node (optional). */
  proxy?: string;
}

export interface InfluxdbRemoteNode extends Node<RemoteCredentials> {
  remoteSettings: RemoteSettings;
  /** What is wrong with this remote's configuration; empty when it is usable. Never contains a secret. */
  problems: string[];
  /** The shared client (one connection pool per remote). Throws when the remote is misconfigured. */
  getClient(): RemoteClient;
  /** Text to scrub from anything shown to the user. */
  secrets(): string[];
  /** Instance id, rate limit and recovery jitter (issue 17). */
  fleet: FleetOptions;
}
