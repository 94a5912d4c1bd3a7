// The replication list and the remote list in the shapes InfluxDB OSS answers on `/api/v2/replications` and
// `/api/v2/remotes`, so that scripts written for `influx replication list` (or for that API) read a gateway.
//
// A gateway has no local organisation and no local bucket, so two fields are mapped:
// - `orgID` is the org of the stream's remote (where the data ends up), '' for a v1 remote;
// - `localBucketID` is the stream's own id: its on-disk queue stands where InfluxDB has the local bucket.
// InfluxDB writes the remote bucket's name under the key `RemoteBucketName` (its Go struct's JSON tag); we write
// it under that key and under `remoteBucketName`, as the API documents it, so both kinds of reader find it.
// `latestResponseCode` and `latestErrorMessage` are left out until there is an answer, as InfluxDB omits them.
// A remote never carries its token.
import type { ReplicationRow } from './stream';

export interface InfluxReplication {
  id: string;
  orgID: string;
  name: string;
  remoteID: string;
  localBucketID: string;
  remoteBucketID: string | null;
  RemoteBucketName: string;
  remoteBucketName: string;
  maxQueueSizeBytes: number;
  currentQueueSizeBytes: number;
  remainingBytesToBeSynced: number;
  latestResponseCode?: number;
  latestErrorMessage?: string;
  dropNonRetryableData: boolean;
  maxAgeSeconds: number;
}

export interface InfluxRemote {
  id: string;
  orgID: string;
  name: string;
  description?: string;
  remoteURL: string;
  remoteOrgID: string;
  allowInsecureTLS: boolean;
}

/** The non-secret properties of a deployed `influxdb-remote` node that the list shows. */
export interface RemoteListing {
  id: string;
  name: string;
  remoteURL: string;
  remoteOrgID: string;
  allowInsecureTLS: boolean;
  description: string;
}

export function influxReplication(row: ReplicationRow, remoteOrgID: string): InfluxReplication {
  const replication: InfluxReplication = {
    id: row.id,
    orgID: remoteOrgID,
    name: row.name,
    remoteID: row.remoteID,
    localBucketID: row.id,
    remoteBucketID: row.remoteBucketID || null,
    RemoteBucketName: row.remoteBucketName,
    remoteBucketName: row.remoteBucketName,
    maxQueueSizeBytes: row.maxQueueSizeBytes,
    currentQueueSizeBytes: row.currentQueueSizeBytes,
    remainingBytesToBeSynced: row.remainingBytesToBeSynced,
    dropNonRetryableData: row.dropNonRetryableData,
    maxAgeSeconds: row.maxAgeSeconds,
  };
  if (row.latestResponseCode !== null) {
    replication.latestResponseCode = row.latestResponseCode;
    replication.latestErrorMessage = row.latestErrorMessage;
  }
  return replication;
}

export function influxRemote(remote: RemoteListing): InfluxRemote {
  const listed: InfluxRemote = {
    id: remote.id,
    orgID: remote.remoteOrgID,
    name: remote.name,
    remoteURL: remote.remoteURL,
    remoteOrgID: remote.remoteOrgID,
    allowInsecureTLS: remote.allowInsecureTLS,
  };
  if (remote.description) listed.description = remote.description;
  return listed;
}

/** The list filters InfluxDB's list endpoints take (besides orgID, which a gateway does not need). */
export interface ListFilter {
  name?: string;
  remoteID?: string;
  localBucketID?: string;
  remoteURL?: string;
}

export function filterReplications(list: InfluxReplication[], filter: ListFilter): InfluxReplication[] {
  return list.filter(
    (r) =>
      (filter.name === undefined || r.name === filter.name) &&
      (filter.remoteID === undefined || r.remoteID === filter.remoteID) &&
      (filter.localBucketID === undefined || r.localBucketID === filter.localBucketID),
  );
}

export function filterRemotes(list: InfluxRemote[], filter: ListFilter): InfluxRemote[] {
  return list.filter(
    (r) => (filter.name === undefined || r.name === filter.name) && (filter.remoteURL === undefined || r.remoteURL === filter.remoteURL),
  );
}

/** Only string query parameters become filters (express may hand over arrays or objects). */
export function listFilterFromQuery(query: Record<string, unknown>): ListFilter {
  const filter: ListFilter = {};
  for (const key of ['name', 'remoteID', 'localBucketID', 'remoteURL'] as const) {
    const value = query[key];
    if (typeof value === 'string') filter[key] = value;
  }
  return filter;
}
