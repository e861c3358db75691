// Host mode: the same main-process services, the contract over a WebSocket on loopback,
// and the built renderer over HTTP, so the unchanged UI runs in any browser. A random
// per-run token guards the socket; other local pages and processes cannot drive it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientFrame, createDispatcher, MAX_FRAME_BYTES, TOKEN_PROTOCOL_PREFIX, type ServerFrame } from '../../shared/ipc/index.js';
import type { AppServices } from '../services/app/services.js';
import { securityHeaders, serveStatic } from './static.js';

export interface HostOptions {
  services: AppServices;
  rendererDir: string;
  port?: number;
  /** Loopback only; any other address is refused. */
  hostname?: '127.0.0.1' | '::1';
  log?: (line: string) => void;
}

export interface Host {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The Host header a page served from our loopback port sends. Anything else is refused:
 * a page on a name the attacker controls that later resolves to 127.0.0.1 (DNS rebinding)
 * sends its own name, and so never reaches the UI or the socket.
 */
export function loopbackHost(host: string | undefined, port: number): boolean {
  if (!host || port === 0) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

function tokenMatches(offered: string, token: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const hostname = opts.hostname ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const token = randomBytes(32).toString('base64url');
  const dispatch = createDispatcher(opts.services.handlers, (e) =>
    log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  );

  let port = 0;
  const http: Server = createServer((req, res) => {
    if (!loopbackHost(req.headers.host, port)) {
      log(`refused a request for host ${JSON.stringify(String(req.headers.host ?? '').slice(0, 80))}`);
      res.writeHead(421, securityHeaders()).end('misdirected request');
      return;
    }
    if (req.url?.startsWith('/ws')) {
      res.writeHead(426, securityHeaders()).end('upgrade required');
      return;
    }
    serveStatic(opts.rendererDir, req, res);
  });

  let origin = '';
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    maxPayload: MAX_FRAME_BYTES,
    // Browsers cannot set headers on a WebSocket, but they can offer subprotocols.
    handleProtocols: (protocols) => {
      for (const p of protocols)
        if (p.startsWith(TOKEN_PROTOCOL_PREFIX) && tokenMatches(p.slice(TOKEN_PROTOCOL_PREFIX.length), token)) return p;
      return false;
    },
    verifyClient: (info, done) => {
      if (!loopbackHost(info.req.headers.host, port)) {
        log(`refused a WebSocket for host ${JSON.stringify(String(info.req.headers.host ?? '').slice(0, 80))}`);
        done(false, 421, 'Misdirected Request');
        return;
      }
      const offered = String(info.req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim());
      const ok = offered.some((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX) && tokenMatches(p.slice(TOKEN_PROTOCOL_PREFIX.length), token));
      // A page from another origin cannot reuse a leaked token through the user's browser.
      const from = info.origin;
      const sameOrigin = from === undefined || from === '' || from === origin || from === origin.replace('127.0.0.1', 'localhost');
      if (!ok) log('refused a WebSocket without the session token');
      else if (!sameOrigin) log(`refused a WebSocket from origin ${from}`);
      done(ok && sameOrigin, 401, 'Unauthorized');
    },
  });

  const sockets = new Set<WebSocket>();
  const unsubscribe = opts.services.subscribe((ch, payload) => {
    const frame = JSON.stringify({ t: 'evt', ch, payload } satisfies ServerFrame);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(frame);
  });

  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'text frames only');
        return;
      }
      let frame: ClientFrame;
      try {
        frame = ClientFrame.parse(JSON.parse(data.toString()));
      } catch {
        ws.close(1007, 'malformed frame');
        return;
      }
      const result = await dispatch(frame.ch, frame.input);
      const reply: ServerFrame = result.ok
        ? { t: 'res', id: frame.id, ok: true, value: result.value }
        : { t: 'res', id: frame.id, ok: false, error: result.error };
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, hostname, () => resolveListen());
  });
  port = (http.address() as AddressInfo).port;
  const hostPart = hostname === '::1' ? '[::1]' : hostname;
  origin = `http://${hostPart}:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    token,
    port,
    async close() {
      unsubscribe();
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
