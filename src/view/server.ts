import { closeSync, createReadStream, fstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { openNoFollow } from './nofollow.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { ViewData } from './data.js';
import { loadAnalysis } from './analysis.js';
import { tasksCsv } from './csv.js';
import { compare, filterFromParams, meta, NotFound, overview, sample, sampleFieldText, sortFromParams, task, tasks } from './queries.js';
import { TEXT_FIELDS } from './sample-render.js';
import { packageFile, UserError } from './sources.js';

export const DEFAULT_PORT = 8484;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The page may run only its own scripts and styles and talk only to this server: even if
 * some model output did end up parsed as markup, it could neither run nor send anything out.
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Report files are the project's own HTML; they get no script at all and their inline styles. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export function staticDir(): string {
  return packageFile('view', 'static');
}

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The app's files, read once: requests are answered from this table by exact name, so no
 * path from a URL ever reaches the file system.
 */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const type = TYPES[path.extname(name)];
    if (!type || !statSync(file).isFile()) continue;
    assets.set(name, { body: readFileSync(file), type });
  }
  if (!assets.has('index.html')) throw new Error(`${dir}: the viewer's index.html is missing (broken install?)`);
  return assets;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

export interface ViewServerOptions {
  data: ViewData;
  host?: string;
  /** First port to try; a busy one moves to the next. 0: any free port. */
  port?: number;
  /** How many ports to try before giving up (default 50). */
  portTries?: number;
}

export interface ViewServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function headers(res: ServerResponse, type: string, csp = CSP): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  headers(res, type);
  res.statusCode = status;
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(head ? undefined : body);
}

function json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), req.method === 'HEAD');
}

const Index = z.coerce.number().int().nonnegative();

export function handler(data: ViewData, assets: Map<string, Asset>, allowedHosts: Set<string> | null) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    // A page on another site must not reach this server through a name that resolves to
    // 127.0.0.1 (DNS rebinding): only requests addressed to the loopback names are answered.
    if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return send(res, 403, 'text/plain; charset=utf-8', 'forbidden host\n');
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad request\n');
    }
    const p = url.pathname;
    const q = url.searchParams;
    try {
      if (p === '/' || p === '/index.html') {
        const a = assets.get('index.html')!;
        res.setHeader('Cache-Control', 'no-cache');
        return send(res, 200, a.type, a.body, head);
      }
      if (p.startsWith('/static/')) {
        const a = assets.get(p.slice('/static/'.length));
        if (!a) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
        res.setHeader('Cache-Control', 'no-cache');
        return send(res, 200, a.type, a.body, head);
      }
      if (p === '/api/version') {
        const etag = `"v${data.version}"`;
        res.setHeader('ETag', etag);
        if (req.headers['if-none-match'] === etag) {
          headers(res, 'application/json; charset=utf-8');
          res.statusCode = 304;
          return void res.end();
        }
        return json(req, res, 200, { version: data.version });
      }
      if (p === '/api/meta') return json(req, res, 200, meta(data));
      if (p === '/api/overview') {
        await data.reportsReady();
        return json(req, res, 200, overview(data));
      }
      if (p === '/api/tasks') return json(req, res, 200, tasks(data, filterFromParams(q), sortFromParams(q)));
      if (p === '/api/tasks.csv') {
        const m = meta(data);
        const body = tasksCsv(tasks(data, filterFromParams(q), sortFromParams(q)), m.cweNames, m.statuses);
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Content-Disposition', 'attachment; filename="codeseceval-tasks.csv"');
        return send(res, 200, 'text/csv; charset=utf-8', body, head);
      }
      if (p === '/api/task') return json(req, res, 200, task(data, z.string().min(1).parse(q.get('id')), filterFromParams(q)));
      if (p === '/api/sample') {
        const run = z.string().min(1).parse(q.get('run'));
        const id = z.string().min(1).parse(q.get('task'));
        const r = data.run(run);
        const analysis = r && r.source.spec.samples ? await loadAnalysis(r.source.spec.dir) : null;
        return json(req, res, 200, await sample(data, run, id, Index.parse(q.get('index')), analysis));
      }
      if (p === '/api/sample-text') {
        const run = z.string().min(1).parse(q.get('run'));
        const id = z.string().min(1).parse(q.get('task'));
        const field = z.enum(TEXT_FIELDS).parse(q.get('field'));
        const body = await sampleFieldText(data, run, id, Index.parse(q.get('index')), field);
        // Model output as plain text: with nosniff and the CSP, never run as a page.
        res.setHeader('Cache-Control', 'no-store');
        return send(res, 200, 'text/plain; charset=utf-8', Buffer.from(body.buffer, body.byteOffset, body.byteLength), head);
      }
      if (p === '/api/compare') {
        return json(req, res, 200, await compare(data, z.string().min(1).parse(q.get('a')), z.string().min(1).parse(q.get('b'))));
      }
      if (p.startsWith('/files/')) return sendRunFile(data, p, req, res);
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    } catch (e) {
      if (e instanceof NotFound) return json(req, res, 404, { error: e.message });
      if (e instanceof z.ZodError) return json(req, res, 400, { error: `bad request: ${e.issues[0]?.path.join('.')}: ${e.issues[0]?.message}` });
      return json(req, res, 500, { error: (e as Error).message.split('\n')[0] });
    }
  };
}

/**
 * `/files/<source label>/<name>`: only the files of a run the viewer was given, looked up by
 * label and exact name among that run's known files; nothing else on disk is reachable.
 */
function sendRunFile(data: ViewData, p: string, req: IncomingMessage, res: ServerResponse): void {
  const parts = p.split('/');
  const [, , label, name] = parts.map((x) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return '';
    }
  });
  const s = parts.length === 4 ? data.sources.find((x) => x.label === label) : undefined;
  const known = s ? [s.spec.results, ...s.parts, ...s.samplesParts, s.spec.samples, s.spec.validation, ...s.spec.extras].filter((f): f is string => !!f) : [];
  const file = known.find((f) => path.basename(f) === name && path.dirname(f) === s!.spec.dir);
  let fd = -1;
  let size = -1;
  try {
    if (file) {
      fd = openNoFollow(file);
      const st = fstatSync(fd);
      size = st.isFile() ? st.size : -1;
    }
  } catch {
    size = -1;
  }
  if (!file || size < 0) {
    if (fd >= 0) closeSync(fd);
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req.method === 'HEAD');
  }
  const ext = path.extname(file);
  headers(res, TYPES[ext] ?? 'text/plain; charset=utf-8', ext === '.html' ? REPORT_CSP : CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', size);
  res.statusCode = 200;
  if (req.method === 'HEAD') {
    closeSync(fd);
    return void res.end();
  }
  // The stream reads the descriptor opened above, so the file checked is the file sent.
  createReadStream('', { fd, start: 0, end: Math.max(0, size - 1) }).pipe(res);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Serve the viewer; a busy port moves to the next free one. */
export async function startViewServer(opts: ViewServerOptions): Promise<ViewServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const first = opts.port ?? DEFAULT_PORT;
  const tries = first === 0 ? 1 : (opts.portTries ?? 50);
  const assets = loadAssets(staticDir());
  const allowed = new Set<string>();
  const server = createServer();
  let port = -1;
  for (let i = 0; i < tries; i++) {
    try {
      port = await listen(server, first === 0 ? 0 : first + i, host);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || i === tries - 1) {
        throw new UserError(
          code === 'EADDRINUSE'
            ? `ports ${first}-${first + tries - 1} on ${host} are all busy: pass --port N`
            : `cannot listen on ${host}:${first + i}: ${(e as Error).message}`,
        );
      }
    }
  }
  const loop = isLoopback(host);
  if (loop) for (const h of ['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host}]` : host]) allowed.add(`${h}:${port}`);
  const serve = handler(opts.data, assets, loop ? allowed : null);
  // The handler answers its own errors; anything left (a socket gone mid-answer) ends that answer only.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch(() => res.destroy());
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
