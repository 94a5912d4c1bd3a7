// Admin HTTP API of the package (the editor's sidebar and "Test connection" button use it). Every route is
// behind RED.auth.needsPermission, and no answer ever carries a secret.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { type RemoteCredentials, redact, remoteSettingsFromConfig, secretsOf, validateRemote } from './lib/remote';
import {
  filterRemotes,
  filterReplications,
  influxRemote,
  influxReplication,
  listFilterFromQuery,
  type RemoteListing,
} from './lib/influxdb-api-shape';
import type { StreamRegistry } from './lib/stream-registry';
import { RemoteClient } from './lib/writer';

const READ = 'influxdb-replication.read';
const WRITE = 'influxdb-replication.write';
/** What the editor sends for a password field the user did not change. */
const UNCHANGED_SECRET = '__PWRD__';

interface RemoteConfigNode {
  id: string;
  type: string;
  name?: string;
  remoteURL?: string;
  remoteOrgID?: string;
  writeAPI?: string;
  allowInsecureTLS?: boolean;
  caFile?: string;
  description?: string;
}

export function registerAdminRoutes(RED: NodeAPI, registry: StreamRegistry): void {
  const admin = RED.httpAdmin;

  admin.get('/influxdb-replication/replications', RED.auth.needsPermission(READ), (_req: Request, res: Response) => {
    res.json(registry.rows());
  });

  admin.post('/influxdb-replication/replications/:id/:action', RED.auth.needsPermission(WRITE), (req: Request, res: Response) => {
    const stream = registry.get(req.params.id);
    if (!stream) return res.status(404).json({ message: `no deployed replication stream with id ${JSON.stringify(req.params.id)}` });
    const action = req.params.action;
    if (action === 'pause') stream.pause();
    else if (action === 'resume') stream.resume();
    else if (action === 'flush') stream.flush();
    else return res.status(400).json({ message: `unknown action ${JSON.stringify(action)}: use pause, resume or flush` });
    res.json(stream.row());
  });

  admin.get('/influxdb-replication/remotes', RED.auth.needsPermission(READ), (_req: Request, res: Response) => {
    res.json(deployedRemotes(RED));
  });

  // The same two lists in InfluxDB OSS's shapes (`influx replication list`, `influx remote list`).
  admin.get('/influxdb-replication/api/v2/replications', RED.auth.needsPermission(READ), (req: Request, res: Response) => {
    const orgOfRemote = new Map(deployedRemotes(RED).map((remote) => [remote.id, remote.remoteOrgID]));
    const replications = registry.rows().map((row) => influxReplication(row, orgOfRemote.get(row.remoteID) ?? ''));
    res.json({ replications: filterReplications(replications, listFilterFromQuery(req.query)) });
  });

  admin.get('/influxdb-replication/api/v2/remotes', RED.auth.needsPermission(READ), (req: Request, res: Response) => {
    const remotes = deployedRemotes(RED).map(influxRemote);
    res.json({ remotes: filterRemotes(remotes, listFilterFromQuery(req.query)) });
  });

  // Checks the values of the editor dialog (saved or not) against the real remote.
  admin.post('/influxdb-replication/remotes/validate', RED.auth.needsPermission(WRITE), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const stored = typeof body.id === 'string' ? ((RED.nodes.getCredentials(body.id) as RemoteCredentials | undefined) ?? {}) : {};
    const secret = (name: keyof RemoteCredentials): string | undefined => {
      const given = body[name];
      if (typeof given === 'string' && given !== '' && given !== UNCHANGED_SECRET) return given;
      return given === UNCHANGED_SECRET || given === undefined ? stored[name] : undefined;
    };
    const credentials: RemoteCredentials = {
      remoteAPIToken: secret('remoteAPIToken'),
      username: typeof body.username === 'string' && body.username !== '' ? body.username : stored.username,
      password: secret('password'),
    };
    const settings = remoteSettingsFromConfig(body);
    const problems = validateRemote(settings, credentials);
    if (problems.length > 0) return res.json({ ok: false, statusCode: null, message: problems.join('; ') });
    const bucket = typeof body.bucket === 'string' ? body.bucket.trim() : '';
    let client: RemoteClient;
    try {
      client = new RemoteClient(settings, credentials);
    } catch (err) {
      return res.json({ ok: false, statusCode: null, message: redact((err as Error).message, secretsOf(credentials)) });
    }
    client
      .validate(bucket)
      .then(
        (result) => res.json({ ...result, message: redact(result.message, secretsOf(credentials)) }),
        (err: Error) => res.json({ ok: false, statusCode: null, message: redact(err.message, secretsOf(credentials)) }),
      )
      .finally(() => client.close().catch(() => undefined));
  });
}

/** Every `influxdb-remote` node of the deployed flows: only the non-secret properties, picked one by one (never
 *  spread a node definition into an answer). */
function deployedRemotes(RED: NodeAPI): Array<RemoteListing & { writeAPI: string; problems: string[] }> {
  const remotes: Array<RemoteListing & { writeAPI: string; problems: string[] }> = [];
  RED.nodes.eachNode((def) => {
    const n = def as unknown as RemoteConfigNode;
    if (n.type !== 'influxdb-remote') return;
    const deployed = RED.nodes.getNode(n.id) as unknown as { problems?: string[] } | null;
    remotes.push({
      id: n.id,
      name: n.name ?? '',
      remoteURL: n.remoteURL ?? '',
      remoteOrgID: n.remoteOrgID ?? '',
      writeAPI: n.writeAPI ?? 'v2',
      allowInsecureTLS: n.allowInsecureTLS === true,
      description: n.description ?? '',
      problems: deployed?.problems ?? [],
    });
  });
  return remotes;
}
