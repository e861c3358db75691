// One simulated KME serving one SAE over ETSI GS QKD 014 v1.1.1, with mutual TLS.
// The SAE is whoever presents a client certificate signed by our CA whose CN is the SAE
// ID we serve. Keys handed to the master SAE by enc_keys travel over the link to the
// peer KME, which hands each one to the slave SAE once, by dec_keys.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { base64Encode } from '../../shared/qkd/base64.js';
import {
  KEY_STORE_ID,
  KeyIdsSchema,
  KeyRequestSchema,
  UUID_RE,
  parseEtsiJson,
  Etsi014FormatError,
  type Status,
} from '../../shared/qkd/etsi014.js';
import type { QkdLink } from './link.js';
import type { KmeKeyStore } from './store.js';

/** Deviations seen in real KMEs, switched on for robustness tests. */
export interface KmeQuirks {
  /** Errors as text/html pages instead of the spec's JSON {message, details}. */
  htmlErrors?: boolean;
  /** 400 instead of 503 when the pool cannot serve the request. */
  exhaustionStatus?: 400 | 503;
  /** A new enc_keys request drops the keys the slave SAE has not yet retrieved. */
  dropUnretrieved?: boolean;
  /** GET enc_keys ignores `number` and `size` and hands out one key of the default size (POST honours them). */
  getIgnoresParameters?: boolean;
  /** POST enc_keys is answered 405: only GET is implemented. */
  noPostEncKeys?: boolean;
  /** The KME's own wording of some 400 errors, as real KMEs phrase them. */
  messages?: KmeMessages;
  /** Limits the status announces when they differ from those enforced (a misconfigured KME). */
  announcedLimits?: Partial<Pick<KmeLimits, 'minKeySizeBits' | 'maxKeySizeBits' | 'maxKeyPerRequest'>>;
}

export interface KmeMessages {
  /** dec_keys: every key_ID asked for is unknown here (e.g. "Some of the requested keys do not exist"). */
  keyNotFound?: string;
  /** enc_keys: size above max_key_size (e.g. "requested key size is too large"). */
  sizeTooLarge?: string;
  /** enc_keys: size below min_key_size. */
  sizeTooSmall?: string;
  /** enc_keys: number above max_key_per_request. */
  tooManyKeys?: string;
}

/**
 * What `qmail-kme pair --nonconforming` switches on: the deviations met in real KMEs and
 * public simulators. Frozen, since nodes share their quirks object: copy it to change one.
 */
export const NONCONFORMING_QUIRKS: Readonly<KmeQuirks> = Object.freeze({
  htmlErrors: true,
  exhaustionStatus: 400,
  dropUnretrieved: true,
  getIgnoresParameters: true,
  messages: Object.freeze({
    keyNotFound: 'Some of the requested keys do not exist',
    sizeTooLarge: 'requested key size is too large',
    sizeTooSmall: 'requested key size is too small',
    tooManyKeys: 'requested number of keys is too large',
  }),
});

export interface KmeLimits {
  defaultKeySizeBits: number;
  minKeySizeBits: number;
  maxKeySizeBits: number;
  maxKeyPerRequest: number;
  maxBodyBytes: number;
  /** Keys waiting for the slave SAE, at most; the oldest are dropped beyond this. */
  maxPending: number;
}

export const DEFAULT_LIMITS: KmeLimits = {
  defaultKeySizeBits: 256,
  minKeySizeBits: 64,
  maxKeySizeBits: 65536,
  maxKeyPerRequest: 1024,
  maxBodyBytes: 256 * 1024,
  maxPending: 1_000_000,
};

interface Pending {
  key: Uint8Array;
  master: string;
  slave: string;
}

/** The state of one KME; its peer is the KME at the other end of the link. */
export class KmeNode {
  peer: KmeNode | null = null;
  readonly pending = new Map<string, Pending>();
  readonly retrieved = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Where the pending keys and delivered IDs are kept across restarts (none: memory only). */
  private store: KmeKeyStore | null = null;
  /** Names this memory of keys in the status: random per start, or the key store's own. */
  keyStoreId: string = randomUUID();

  constructor(
    readonly kmeId: string,
    readonly saeId: string,
    readonly link: QkdLink,
    readonly limits: KmeLimits,
    readonly quirks: KmeQuirks,
    /** Delay before a key handed out at the peer reaches this KME. */
    readonly syncDelayMs: number,
  ) {}

  /** Keeps this KME's keys in `store` and takes back what it held when it last stopped. */
  attachStore(store: KmeKeyStore): void {
    this.store = store;
    this.keyStoreId = store.id;
    const s = store.load(this.kmeId);
    for (const p of s.pending) this.pending.set(p.keyId, { key: p.key, master: p.master, slave: p.slave });
    for (const id of s.delivered) this.retrieved.add(id);
  }

  /**
   * Keys handed to the master SAE at the peer KME, for our slave SAE. Stored durably in one
   * write before the master SAE gets them (so both KMEs agree on them after any restart),
   * and served after the sync delay.
   */
  receiveAll(keys: readonly { keyId: string; key: Uint8Array }[], master: string, slave: string): void {
    this.store?.addPending(
      this.kmeId,
      keys.map((k) => ({ keyId: k.keyId, key: k.key, master, slave })),
    );
    for (const k of keys) this.receive(k.keyId, { key: k.key, master, slave });
  }

  receive(keyId: string, p: Pending): void {
    const put = () => {
      this.pending.set(keyId, p);
      while (this.pending.size > this.limits.maxPending) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        this.store?.dropPending(this.kmeId, [oldest]);
      }
    };
    if (this.syncDelayMs <= 0) return put();
    const t = setTimeout(() => {
      this.timers.delete(t);
      put();
    }, this.syncDelayMs);
    t.unref();
    this.timers.add(t);
  }

  dropFrom(master: string): number {
    const dropped: string[] = [];
    for (const [id, p] of this.pending) {
      if (p.master !== master) continue;
      this.pending.delete(id);
      dropped.push(id);
    }
    if (dropped.length) this.store?.dropPending(this.kmeId, dropped);
    return dropped.length;
  }

  /** Keys given to the slave SAE: deleted here (durably, before the answer), their IDs remembered. */
  deliver(ids: readonly string[]): void {
    this.store?.markDelivered(this.kmeId, ids);
    for (const id of ids) {
      this.pending.delete(id);
      this.markRetrieved(id);
    }
  }

  markRetrieved(id: string): void {
    this.retrieved.add(id);
    if (this.retrieved.size > 4 * this.limits.maxPending) {
      const oldest = this.retrieved.values().next().value as string;
      this.retrieved.delete(oldest);
      this.store?.forgetDelivered(this.kmeId, [oldest]);
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, node: KmeNode, e: HttpError): void {
  if (node.quirks.htmlErrors) {
    const reason = { 400: 'Bad Request', 401: 'Unauthorized', 503: 'Service Unavailable' }[e.status] ?? 'Error';
    const html = `<!DOCTYPE html><html><head><title>${e.status} ${reason}</title></head><body><h1>${reason}</h1><p>${escapeHtml(e.message)}</p><hr><address>kme</address></body></html>`;
    res.writeHead(e.status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(html);
    return;
  }
  send(res, e.status, e.details.length ? { message: e.message, details: e.details } : { message: e.message });
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new HttpError(400, 'request body too large', [{ max_bytes: max }]);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function intParam(v: string | null, name: string, dflt: number): number {
  if (v === null) return dflt;
  if (!/^[0-9]{1,9}$/.test(v)) throw new HttpError(400, `${name} must be a positive integer`, [{ parameter: name, value: v.slice(0, 40) }]);
  return Number(v);
}

function status(node: KmeNode, caller: string, slave: string): Status {
  const peer = node.peer!;
  const size = node.limits.defaultKeySizeBits;
  return {
    source_KME_ID: node.kmeId,
    target_KME_ID: peer.kmeId,
    master_SAE_ID: caller,
    slave_SAE_ID: slave,
    key_size: size,
    stored_key_count: Math.floor(node.link.availableBits() / size),
    max_key_count: Math.floor(node.link.capacityBits / size),
    max_key_per_request: node.quirks.announcedLimits?.maxKeyPerRequest ?? node.limits.maxKeyPerRequest,
    max_key_size: node.quirks.announcedLimits?.maxKeySizeBits ?? node.limits.maxKeySizeBits,
    min_key_size: node.quirks.announcedLimits?.minKeySizeBits ?? node.limits.minKeySizeBits,
    max_SAE_ID_count: 0,
    // Which memory of handed-out keys answers (a new one after a restart without a key store).
    status_extension: { [KEY_STORE_ID]: node.keyStoreId },
  };
}

function encKeys(
  node: KmeNode,
  caller: string,
  slave: string,
  req: { number?: number; size?: number; additional_slave_SAE_IDs?: string[]; extension_mandatory?: Record<string, unknown>[] },
) {
  const l = node.limits;
  const said = node.quirks.messages ?? {};
  const number = req.number ?? 1;
  const size = req.size ?? l.defaultKeySizeBits;
  if (!Number.isSafeInteger(number) || number < 1 || number > l.maxKeyPerRequest) {
    throw new HttpError(
      400,
      (number > l.maxKeyPerRequest ? said.tooManyKeys : undefined) ?? `number of keys must be between 1 and ${l.maxKeyPerRequest}`,
      [{ parameter: 'number', value: number }],
    );
  }
  if (!Number.isSafeInteger(size) || size % 8 !== 0)
    throw new HttpError(400, 'size shall be a multiple of 8', [{ parameter: 'size', value: size }]);
  if (size < l.minKeySizeBits || size > l.maxKeySizeBits) {
    const own = size > l.maxKeySizeBits ? said.sizeTooLarge : said.sizeTooSmall;
    throw new HttpError(400, own ?? `size must be between ${l.minKeySizeBits} and ${l.maxKeySizeBits} bits`, [
      { parameter: 'size', value: size },
    ]);
  }
  if (req.additional_slave_SAE_IDs && req.additional_slave_SAE_IDs.length > 0) {
    throw new HttpError(400, 'additional_slave_SAE_IDs not supported (max_SAE_ID_count is 0)', [{ parameter: 'additional_slave_SAE_IDs' }]);
  }
  if (req.extension_mandatory && req.extension_mandatory.length > 0) {
    throw new HttpError(
      400,
      'not all extension_mandatory parameters are supported',
      req.extension_mandatory.map((e) => ({ extension_mandatory_unsupported: Object.keys(e) })),
    );
  }
  const keys = node.link.take(number, size);
  if (!keys) {
    const have = Math.floor(node.link.availableBits() / size);
    throw new HttpError(node.quirks.exhaustionStatus ?? 503, 'keys are being exhausted', [{ requested: number, size, available: have }]);
  }
  const peer = node.peer!;
  if (node.quirks.dropUnretrieved) peer.dropFrom(caller);
  peer.receiveAll(keys, caller, slave);
  return { keys: keys.map((k) => ({ key_ID: k.keyId, key: base64Encode(k.key) })) };
}

function decKeys(node: KmeNode, caller: string, master: string, ids: string[]) {
  if (ids.length === 0) throw new HttpError(400, 'no key_ID given');
  if (ids.length > node.limits.maxKeyPerRequest) throw new HttpError(400, `at most ${node.limits.maxKeyPerRequest} key_IDs per request`);
  const seen = new Set<string>();
  const found: Array<[string, Pending]> = [];
  const bad: unknown[] = [];
  for (const raw of ids) {
    const id = raw.toLowerCase();
    if (!UUID_RE.test(id)) bad.push({ key_ID: raw.slice(0, 64), reason: 'not a UUID' });
    else if (seen.has(id)) bad.push({ key_ID: raw, reason: 'duplicate key_ID' });
    else {
      seen.add(id);
      const p = node.pending.get(id);
      if (p && p.master === master && p.slave === caller) found.push([id, p]);
      else if (p) bad.push({ key_ID: raw, reason: 'key_ID not issued for this pair of SAEs' });
      else if (node.retrieved.has(id)) bad.push({ key_ID: raw, reason: 'key_ID already retrieved' });
      else bad.push({ key_ID: raw, reason: 'key_ID not found' });
    }
  }
  if (bad.length) {
    const first = bad[0] as { reason: string };
    const allSame = bad.every((b) => (b as { reason: string }).reason === first.reason);
    const own = allSame && first.reason === 'key_ID not found' ? node.quirks.messages?.keyNotFound : undefined;
    throw new HttpError(400, own ?? (allSame ? first.reason : 'one or more key_IDs cannot be delivered'), bad);
  }
  node.deliver(found.map(([id]) => id));
  return { keys: found.map(([id, p]) => ({ key_ID: id, key: base64Encode(p.key) })) };
}

async function handle(node: KmeNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) {
    const presented = Object.keys(sock.getPeerCertificate() ?? {}).length > 0;
    throw new HttpError(401, presented ? 'client certificate not trusted' : 'no client certificate presented', [
      { tls_error: presented ? String(sock.authorizationError) : 'no certificate' },
    ]);
  }
  const cn = sock.getPeerCertificate()?.subject?.CN;
  const caller = Array.isArray(cn) ? cn[0] : cn;
  if (caller !== node.saeId)
    throw new HttpError(401, `SAE ${String(caller)} is not registered at ${node.kmeId}`, [{ sae_id: caller ?? null }]);
  const url = new URL(req.url ?? '/', 'https://kme');
  const m = /^\/api\/v1\/keys\/([^/]+)\/(status|enc_keys|dec_keys)$/.exec(url.pathname);
  if (!m) throw new HttpError(404, 'no such endpoint');
  let other: string;
  try {
    other = decodeURIComponent(m[1]!);
  } catch {
    throw new HttpError(400, 'malformed SAE ID in path');
  }
  const op = m[2]!;
  const peer = node.peer!;
  if (other !== peer.saeId)
    throw new HttpError(400, `SAE ${other.slice(0, 64)} is not reachable from ${node.kmeId}`, [{ sae_id: other.slice(0, 64) }]);
  const method = req.method ?? 'GET';
  const okMethods = op === 'status' ? ['GET'] : ['GET', 'POST'];
  if (!okMethods.includes(method) || (op === 'enc_keys' && method === 'POST' && node.quirks.noPostEncKeys))
    throw new HttpError(405, `${method} not allowed on ${op}`);
  const body = method === 'POST' ? await readBody(req, node.limits.maxBodyBytes) : '';
  const parse = <T>(schema: Parameters<typeof parseEtsiJson<T>>[0]): T => {
    try {
      return parseEtsiJson(schema, body, 'request body', node.limits.maxBodyBytes);
    } catch (e) {
      if (e instanceof Etsi014FormatError) throw new HttpError(400, e.message);
      throw e;
    }
  };
  if (op === 'status') return send(res, 200, status(node, caller, other));
  if (op === 'enc_keys') {
    const r =
      method === 'POST'
        ? parse(KeyRequestSchema)
        : node.quirks.getIgnoresParameters
          ? { number: 1, size: node.limits.defaultKeySizeBits }
          : {
              number: intParam(url.searchParams.get('number'), 'number', 1),
              size: intParam(url.searchParams.get('size'), 'size', node.limits.defaultKeySizeBits),
            };
    return send(res, 200, encKeys(node, caller, other, r));
  }
  const ids = method === 'POST' ? parse(KeyIdsSchema).key_IDs.map((k) => k.key_ID) : url.searchParams.getAll('key_ID');
  if (method === 'GET' && ids.length > 1) throw new HttpError(400, 'GET dec_keys takes one key_ID; use POST for several');
  return send(res, 200, decKeys(node, caller, other, ids));
}

export interface KmeServerOptions {
  node: KmeNode;
  tls: { cert: string; key: string; ca: string };
  host?: string;
  port?: number;
  /**
   * Refuse the TLS handshake when the client certificate is missing or not signed by our
   * CA (instead of answering 401 over the established connection).
   */
  strictTls?: boolean;
}

export interface KmeServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startKmeServer(opts: KmeServerOptions): Promise<KmeServer> {
  const node = opts.node;
  const server = createServer(
    {
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      requestCert: true,
      rejectUnauthorized: opts.strictTls ?? false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      handle(node, req, res).catch((e: unknown) => {
        const he = e instanceof HttpError ? e : new HttpError(503, 'internal KME error');
        if (!res.headersSent) sendError(res, node, he);
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${hostInUrl}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        node.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
