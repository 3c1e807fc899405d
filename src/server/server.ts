/**
 * `hwnas serve`: a live dashboard over one store, on node:http. Routes (GET/HEAD only):
 * - `/` (optionally `?study=<name>`): the dashboard page (same views as the report), polling the API every 2 s;
 * - `/assets/plotly.min.js`: the plotly.js bundle (held in memory);
 * - `/api/studies`: `{ studies: [{ name, objectives, createdAt, counts }] }`;
 * - `/api/studies/:name`: the study's {@link ReportData};
 * - `/api/studies/:name/trials`: `{ trials: Trial[] }` as stored.
 * Everything else is 404: nothing of the file system is served. Listens on 127.0.0.1 by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { ConfigError, isUserError } from '../errors.js';
import { PAGE_BODY, PAGE_CSS, PAGE_SCRIPT } from '../report/client.js';
import { buildReportData } from '../report/data.js';
import { inlineScript, plotlySource } from '../report/html.js';
import type { TrialState } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';

/** Options of {@link startServer}: a store object, or the path of a SQLite store file (opened read-only). */
export interface ServerOptions {
  readonly store?: Store;
  readonly storePath?: string;
  /** TCP port (default 0: a free one). */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  readonly host?: string;
  /**
   * Host names accepted in the request's Host header besides IP literals, `localhost` and this
   * machine's name (default none). Any other name is refused (421): a page on another site that
   * rebinds its own domain to this machine's address (DNS rebinding) cannot read the studies.
   */
  readonly allowedHosts?: readonly string[];
}

/** A running dashboard server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:43125/ */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops listening and closes the store if the server opened it. */
  close(): Promise<void>;
}

const DASHBOARD = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hwnas dashboard</title><style>${PAGE_CSS}</style>
<script src="/assets/plotly.min.js"></script>
</head><body>${PAGE_BODY}
<script>${inlineScript(PAGE_SCRIPT)}
hwnasLive('/api');</script>
</body></html>
`;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src data:",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra });
  res.end(head ? undefined : body);
}

function json(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), head);
}

/** True when a Host header names this server by an IP literal, localhost, this machine's name or an allowed name. */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(:\d+)?$/.exec(hostHeader.trim());
  if (!m) return false;
  const name = (m[1] as string).toLowerCase();
  if (name.startsWith('[') || isIP(name) !== 0) return true;
  const names = ['localhost', hostname().toLowerCase(), ...allowed.map((a) => a.toLowerCase())];
  return names.includes(name) || name.endsWith('.localhost');
}

/** Starts the dashboard; resolves once listening. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  if (!o.store && !o.storePath) throw new ConfigError('startServer needs a store or a storePath');
  const owned = o.store ? undefined : new SqliteStore(o.storePath as string, { readonly: true });
  const store = (o.store ?? owned) as Store;
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port ${JSON.stringify(o.port)}: expected an integer in 0..65535`);
  const plotlyJs = Buffer.from(plotlySource());

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (!hostAllowed(req.headers.host, o.allowedHosts)) {
      send(res, 421, 'text/plain; charset=utf-8', 'unknown Host header: open the dashboard by its IP address or localhost\n', head);
      return;
    }
    if (req.method !== 'GET' && !head) {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false, { allow: 'GET, HEAD' });
      return;
    }
    const raw = req.url ?? '/';
    const path = raw.split('?', 1)[0] as string;
    const notFound = (): void => send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    try {
      if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', DASHBOARD, head);
      if (path === '/assets/plotly.min.js') return send(res, 200, 'text/javascript; charset=utf-8', plotlyJs, head, { 'cache-control': 'max-age=3600' });
      if (path === '/api/studies') {
        const studies = store.listStudies().map((s) => {
          const counts: Record<TrialState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
          for (const t of store.getTrials(s.name)) counts[t.state]++;
          return { name: s.name, objectives: s.objectives, createdAt: s.createdAt, counts };
        });
        return json(res, 200, { studies }, head);
      }
      const m = /^\/api\/studies\/([^/]+)(\/trials)?$/.exec(path);
      if (m) {
        let name: string;
        try {
          name = decodeURIComponent(m[1] as string);
        } catch {
          return notFound();
        }
        if (!store.getStudy(name)) return json(res, 404, { error: `no study named ${JSON.stringify(name)}` }, head);
        if (m[2]) return json(res, 200, { trials: store.getTrials(name) }, head);
        return json(res, 200, buildReportData(store, name), head);
      }
      return notFound();
    } catch (e) {
      if (isUserError(e)) return json(res, 400, { error: (e as Error).message }, head);
      return json(res, 500, { error: 'internal error' }, head);
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      owned?.close();
      reject(e.code === 'EADDRINUSE' ? new ConfigError(`port ${port} on ${o.host ?? '127.0.0.1'} is in use; pick another with --port (0 = any free port)`) : e);
    });
    server.listen(port, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          owned?.close();
          resolve();
        });
      }),
  };
}
