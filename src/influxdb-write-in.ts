// The `influxdb-write-in` node: InfluxDB's write API on Node-RED's HTTP node port. Thin wiring: parsing,
// auth, body reading and the error shapes are plain modules (src/lib/write-endpoint); this file registers the
// routes on RED.httpNode, resolves the tokens, and turns an accepted request into one message that the core
// `http response` node can answer.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import type { Request, RequestHandler, Response } from 'express';
import {
  bodyEncoding,
  capturedBody,
  capturePath,
  checkDeclaredLength,
  decodeBody,
  installCapture,
  readRaw,
  type ExpressLikeApp,
  healthBody,
  normalisePrefix,
  parseMaxBodyBytes,
  parseTokens,
  parseWriteQuery,
  pingHeaders,
  presentedToken,
  rewriteTimestamps,
  routesFor,
  tokenAccepted,
  unauthorized,
  WriteRefusal,
  type WriteApi,
} from './lib/write-endpoint';
import { translator } from './i18n';

interface WriteInDef extends NodeDef {
  prefix?: string;
  maxBodyBytes?: string | number;
  noAuth?: boolean;
}

interface WriteInCredentials {
  tokens?: string;
}

/** Express's layer objects, as far as removing our routes needs them (the same thing core `http in` does). */
interface RouterLayer {
  route?: { stack?: Array<{ handle?: unknown }> };
}

// The response methods core `http in` exposes on msg.res (createResponseWrapper), so flows written for it work.
const RESPONSE_METHODS = [
  'append', 'attachment', 'cookie', 'clearCookie', 'download', 'end', 'format', 'get', 'json', 'jsonp', 'links',
  'location', 'redirect', 'render', 'send', 'sendfile', 'sendFile', 'sendStatus', 'set', 'status', 'type', 'vary',
] as const;

export = function (RED: NodeAPI) {
  const t = translator(RED, 'influxdb-write-in');

  /** msg.res as core `http in` builds it: `_res` is what `http response` uses; the methods forward to it. */
  function responseWrapper(res: Response): Record<string, unknown> {
    const wrapper: Record<string, unknown> = { _res: res };
    for (const name of RESPONSE_METHODS) {
      wrapper[name] = (...args: unknown[]) => {
        const fn = (res as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
        const result = fn.apply(res, args);
        return result === res ? wrapper : result;
      };
    }
    return wrapper;
  }

  /**
   * The credential text with `${VAR}` replaced from the environment (flow, group and process env, as in node
   * properties). Node-RED substitutes `${VAR}` in properties but not in credentials, on every version.
   */
  function resolveTokens(node: Node, text: string | undefined): string[] {
    if (!text) return [];
    // evaluateNodeProperty(…, 'env') is the public form of Node-RED's env substitution on 3.1 and 4.x.
    const resolved = text.includes('${') ? String(RED.util.evaluateNodeProperty(text, 'env', node, {}) ?? '') : text;
    return parseTokens(resolved);
  }

  function sendRefusal(res: Response, refusal: WriteRefusal) {
    res.status(refusal.status);
    for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
    res.json(refusal.body());
  }

  function InfluxdbWriteIn(this: Node<WriteInCredentials>, config: WriteInDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const noAuth = config.noAuth === true;
    const tokens = noAuth ? [] : resolveTokens(node, node.credentials?.tokens);
    const ready = noAuth || tokens.length > 0;
    const handlers: RequestHandler[] = [];

    let prefix: string;
    let maxBodyBytes: number;
    try {
      prefix = normalisePrefix(config.prefix);
      maxBodyBytes = parseMaxBodyBytes(config.maxBodyBytes);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('influxdb-write-in.status.invalid') });
      node.error((err as Error).message);
      return;
    }

    const status = !ready
      ? { fill: 'red', shape: 'ring', text: t('influxdb-write-in.status.noToken') }
      : noAuth
        ? { fill: 'yellow', shape: 'dot', text: t('influxdb-write-in.status.noAuth') }
        : { fill: 'green', shape: 'dot', text: t('influxdb-write-in.status.ready') };
    node.status(status as NodeStatus);
    // Status nodes are mapped only once the whole flow has started: say it again then, so that a flow that
    // watches for "no token" sees it.
    const restate = () => node.status(status as NodeStatus);
    RED.events.once('flows:started', restate);

    /** The body as sent: read by our capture at the top of the server, or here when the capture did not run. */
    async function rawBody(req: Request): Promise<Buffer> {
      const captured = capturedBody(req);
      if (captured?.refusal) throw captured.refusal;
      if (captured?.body) return captured.body;
      const consumed = (req as unknown as { _body?: boolean })._body;
      if (consumed && Buffer.isBuffer(req.body)) return req.body;
      if (consumed) throw new Error('the request body was already parsed by a middleware before the endpoint (see httpNodeMiddleware)');
      return readRaw(req, maxBodyBytes);
    }

    async function onWrite(api: WriteApi, req: Request, res: Response) {
      try {
        // Auth first: an unauthenticated client learns nothing about the query or body it sent.
        if (!noAuth && !tokenAccepted(presentedToken(api, req.headers, req.query as Record<string, unknown>), tokens)) {
          req.resume();
          return sendRefusal(res, unauthorized());
        }
        const target = parseWriteQuery(api, req.query as Record<string, unknown>);
        const encoding = bodyEncoding(req.headers['content-encoding']);
        checkDeclaredLength(req.headers['content-length'], maxBodyBytes);
        const text = await decodeBody(await rawBody(req), encoding, maxBodyBytes);
        const msg: NodeMessageInFlow & Record<string, unknown> = {
          _msgid: RED.util.generateId(),
          payload: rewriteTimestamps(text, target.rewrite),
          precision: target.precision,
          req,
          res: responseWrapper(res),
        };
        for (const key of ['bucket', 'org', 'db', 'rp'] as const) if (target[key] !== undefined) msg[key] = target[key];
        node.send(msg);
      } catch (err) {
        req.resume();
        if (err instanceof WriteRefusal) return sendRefusal(res, err);
        node.error(t('influxdb-write-in.errors.internal', { message: (err as Error).message }));
        if (!res.headersSent) res.status(500).json({ code: 'internal error', message: (err as Error).message });
      }
    }

    const configuredRoot = (RED.settings as unknown as { httpNodeRoot?: string | false }).httpNodeRoot;
    if (configuredRoot === false) {
      // As core `http in`: with httpNodeRoot false Node-RED serves no node routes.
      node.warn(t('influxdb-write-in.errors.noHttpNode'));
      return;
    }
    const nodeRoot = String((RED.settings as unknown as { httpNodeRoot?: string }).httpNodeRoot ?? '/').replace(/\/+$/, '');
    const stopCapturing: Array<() => void> = [];
    installCapture(RED.httpNode as unknown as ExpressLikeApp);
    for (const route of routesFor(prefix)) {
      if (route.method === 'post') stopCapturing.push(capturePath(nodeRoot + route.path, maxBodyBytes));
      let handler: RequestHandler;
      if (route.kind === 'write') {
        const api = route.api as WriteApi;
        handler = (req, res) => void onWrite(api, req, res);
      } else if (route.kind === 'ping') {
        handler = (_req, res) => {
          res.set(pingHeaders('OSS'));
          res.status(204).end();
        };
      } else {
        handler = (_req, res) => {
          res.set(pingHeaders('OSS'));
          res.status(ready ? 200 : 503).json(healthBody(ready));
        };
      }
      handlers.push(handler);
      // No body parser: the write handler reads the raw stream itself. httpNodeMiddleware (settings.js) runs
      // first, as it does for core `http in`; Node-RED's httpNodeAuth already guards all of RED.httpNode.
      const middleware = httpNodeMiddleware();
      if (route.method === 'post') RED.httpNode.post(route.path, ...middleware, handler);
      else RED.httpNode.get(route.path, ...middleware, handler);
    }

    node.on('close', () => {
      RED.events.removeListener('flows:started', restate);
      for (const stop of stopCapturing) stop();
      // Remove exactly our routes (by handler identity), so a redeploy does not stack handlers and a core
      // `http in` on the same path is left alone.
      const stack = (RED.httpNode as unknown as { _router?: { stack: RouterLayer[] } })._router?.stack;
      if (!stack) return;
      for (let i = stack.length - 1; i >= 0; i--) {
        const layers = stack[i].route?.stack ?? [];
        if (layers.some((layer) => handlers.includes(layer.handle as RequestHandler))) stack.splice(i, 1);
      }
    });
  }

  function httpNodeMiddleware(): RequestHandler[] {
    const configured = (RED.settings as unknown as { httpNodeMiddleware?: RequestHandler | RequestHandler[] }).httpNodeMiddleware;
    if (typeof configured === 'function') return [configured];
    if (Array.isArray(configured)) return configured;
    return [];
  }

  RED.nodes.registerType<Node<WriteInCredentials>, WriteInDef, {}, WriteInCredentials>('influxdb-write-in', InfluxdbWriteIn, {
    credentials: {
      tokens: { type: 'password' },
    },
  });
};

