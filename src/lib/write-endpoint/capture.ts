// Reading a write's body before anything else in the HTTP server can. When Node-RED's admin and node paths
// share a root (the default, both '/'), every request passes the admin app first, whose body parsers consume
// JSON and form-encoded bodies (curl's default Content-Type for --data-binary is form-encoded) before any node
// route runs. Core `http in` solved the same problem in 4.1 with a middleware at the top of the root app; this
// is ours, for the endpoint's POST routes only, on every Node-RED version.
import type { IncomingMessage, ServerResponse } from 'http';
import { readRaw } from './body';
import { WriteRefusal } from './errors';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

interface Layer {
  handle?: unknown;
}
export interface ExpressLikeApp {
  parent?: ExpressLikeApp;
  use: (fn: Middleware) => unknown;
  _router?: { stack: Layer[] };
}

/** What the capture leaves on the request for the route handler. */
export interface Captured {
  body?: Buffer;
  refusal?: WriteRefusal;
}

const CAPTURED = Symbol.for('node-red-contrib-influxdb-replication.write-in.body');

/** The paths to capture: full URL path (with httpNodeRoot) -> size limit in bytes and who asked for it. */
const capturedPaths = new Map<string, { limit: number; owner: object }>();
const installedOn = new WeakSet<object>();

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0];
  return path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}

function capture(req: IncomingMessage, _res: ServerResponse, next: Next): void {
  if (req.method !== 'POST') return next();
  const entry = capturedPaths.get(pathOf(req.url));
  if (entry === undefined) return next();
  const limit = entry.limit;
  const holder = req as unknown as Record<symbol, Captured> & { _body?: boolean; body?: unknown };
  readRaw(req, limit).then(
    (body) => {
      holder[CAPTURED] = { body };
      // Tell body parsers further down that the body is read (they skip a request with _body set).
      holder._body = true;
      holder.body = body;
      next();
    },
    (refusal: WriteRefusal) => {
      holder[CAPTURED] = { refusal };
      holder._body = true;
      next();
    },
  );
}

function rootOf(app: ExpressLikeApp): ExpressLikeApp {
  return app.parent ? rootOf(app.parent) : app;
}

/** Puts the capture first in the root app of `nodeApp` (once per app). */
export function installCapture(nodeApp: ExpressLikeApp): void {
  const root = rootOf(nodeApp);
  if (installedOn.has(root)) return;
  installedOn.add(root);
  root.use(capture);
  const stack = root._router?.stack;
  if (!stack) return;
  const index = stack.findIndex((layer) => layer.handle === capture);
  if (index > 0) stack.unshift(stack.splice(index, 1)[0]);
}

/** Starts capturing POST bodies to `path` (httpNodeRoot included); returns the function that stops it. */
export function capturePath(path: string, limitBytes: number): () => void {
  const key = pathOf(path);
  const owner = {};
  capturedPaths.set(key, { limit: limitBytes, owner });
  return () => {
    if (capturedPaths.get(key)?.owner === owner) capturedPaths.delete(key);
  };
}

/** The body (or the refusal) the capture left on `req`, if it ran for this request. */
export function capturedBody(req: unknown): Captured | undefined {
  return (req as Record<symbol, Captured | undefined>)[CAPTURED];
}
