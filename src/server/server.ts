/**
 * `hwnas serve`: a live dashboard over one store, on node:http. Routes (GET/HEAD only):
 * - `/` (optionally `?study=<name>`): the dashboard page (same views as the report), polling the API every 2 s;
 * - `/assets/plotly.min.js`: plotly.js's cartesian bundle, the report's (held in memory);
 * - `/what-if`: the what-if page of src/web (cost models in the browser; self-contained, built on first request);
 * - `/api/studies`: `{ studies: [{ name, objectives, createdAt, counts }] }`;
 * - `/api/studies/:name`: the study's {@link ReportData};
 * - `/api/studies/:name/trials`: `{ trials: Trial[] }` as stored.
 * Everything else is 404: nothing of the file system is served. Listens on 127.0.0.1 by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { ConfigError, isUserError } from '../errors.js';
import { PAGE_BODY, PAGE_CSS, PAGE_SCRIPT } from '../report/client.js';
import { buildReportData, escapeHtml } from '../report/data.js';
import { inlineScript, plotlySource } from '../report/html.js';
import type { TrialState } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { renderWhatIfPage } from '../web/site.js';

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
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src data:",
};

/** What one request gets back. */
interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string | Buffer;
  readonly extra?: Readonly<Record<string, string>>;
}

const TEXT = 'text/plain; charset=utf-8';

function jsonReply(status: number, value: unknown): Reply {
  return { status, type: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

function send(res: ServerResponse, r: Reply, head: boolean): void {
  res.writeHead(r.status, {
    'content-type': r.type,
    'content-length': Buffer.byteLength(r.body),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...r.extra,
  });
  res.end(head ? undefined : r.body);
}

/** The 404 page of `/?study=<name>` for a name the store does not hold: the name, the known studies as links. */
function unknownStudyPage(name: string, known: readonly string[]): Reply {
  const links = known.map((n) => `<li><a href="/?study=${encodeURIComponent(n)}">${escapeHtml(n)}</a></li>`).join('');
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>hwnas: no study ${escapeHtml(name)}</title></head><body>
<h1>No study named ${escapeHtml(JSON.stringify(name))} in this store</h1>
<p>${known.length ? `Known studies (${known.length}):` : 'The store holds no studies yet; reload once one is created.'}</p>
${known.length ? `<ul>${links}</ul>` : ''}</body></html>
`;
  return { status: 404, type: 'text/html; charset=utf-8', body };
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
  const notFound: Reply = { status: 404, type: TEXT, body: 'not found\n' };
  let whatIf: Buffer | undefined;

  const route = (path: string, query: URLSearchParams): Reply => {
    if (path === '/' || path === '/index.html') {
      // ?study=<unknown>: say so instead of letting the page fall back to another study
      const asked = query.get('study');
      if (asked !== null && !store.getStudy(asked))
        return unknownStudyPage(
          asked,
          store.listStudies().map((s) => s.name),
        );
      return { status: 200, type: 'text/html; charset=utf-8', body: DASHBOARD };
    }
    if (path === '/favicon.ico') return { status: 204, type: TEXT, body: '' }; // none: spares the browser's console a 404
    if (path === '/what-if' || path === '/what-if/') {
      whatIf ??= Buffer.from(renderWhatIfPage());
      return { status: 200, type: 'text/html; charset=utf-8', body: whatIf };
    }
    if (path === '/assets/plotly.min.js')
      return { status: 200, type: 'text/javascript; charset=utf-8', body: plotlyJs, extra: { 'cache-control': 'max-age=3600' } };
    if (path === '/api/studies') {
      const studies = store.listStudies().map((s) => {
        const counts: Record<TrialState, number> = { running: 0, complete: 0, pruned: 0, failed: 0 };
        for (const t of store.getTrials(s.name)) counts[t.state]++;
        return { name: s.name, objectives: s.objectives, createdAt: s.createdAt, counts };
      });
      return jsonReply(200, { studies });
    }
    const m = /^\/api\/studies\/([^/]+)(\/trials)?$/.exec(path);
    if (!m) return notFound;
    let name: string;
    try {
      name = decodeURIComponent(m[1] as string);
    } catch {
      return notFound;
    }
    if (!store.getStudy(name)) return jsonReply(404, { error: `no study named ${JSON.stringify(name)}` });
    if (m[2]) return jsonReply(200, { trials: store.getTrials(name) });
    return jsonReply(200, buildReportData(store, name));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (!hostAllowed(req.headers.host, o.allowedHosts)) {
      send(res, { status: 421, type: TEXT, body: 'unknown Host header: open the dashboard by its IP address or localhost\n' }, head);
      return;
    }
    if (req.method === 'POST' && (req.url ?? '').split('?', 1)[0] === '/api/cost') {
      // the cost models over HTTP (./cost-api.ts); loaded on first use
      void (async () => {
        let reply: Reply;
        try {
          const { costRequest, readBody, BodyTooLargeError } = await import('./cost-api.js');
          try {
            const body = await readBody(req);
            reply = jsonReply(
              200,
              await costRequest(String(req.headers['content-type'] ?? 'application/json'), new URL(req.url ?? '/', 'http://x').searchParams, body),
            );
          } catch (e) {
            reply =
              e instanceof BodyTooLargeError
                ? jsonReply(413, { error: e.message })
                : isUserError(e)
                  ? jsonReply(400, { error: (e as Error).message })
                  : jsonReply(500, { error: 'internal error' });
          }
        } catch {
          reply = jsonReply(500, { error: 'internal error' });
        }
        send(res, reply, false);
      })();
      return;
    }
    if (req.method !== 'GET' && !head) {
      send(res, { status: 405, type: TEXT, body: 'method not allowed\n', extra: { allow: 'GET, HEAD (POST: /api/cost)' } }, false);
      return;
    }
    const [path = '/', search = ''] = (req.url ?? '/').split('?', 2);
    let reply: Reply;
    try {
      reply = route(path, new URLSearchParams(search));
    } catch (e) {
      reply = isUserError(e) ? jsonReply(400, { error: (e as Error).message }) : jsonReply(500, { error: 'internal error' });
    }
    send(res, reply, head);
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
