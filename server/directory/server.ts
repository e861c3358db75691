// The directory: HTTP/JSON on node:http (loopback by default). It stores operators'
// signed server descriptors, allocates 7-byte address serials at identity registration,
// keeps each identity's binding record (address ↔ public keys, signed by that identity),
// and answers lookups by address, by name prefix, and by any part of a name or address
// (composer autocomplete).
// Routes and rules: docs/server.md "Directory".
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { z } from 'zod';
import { canonicalJson, loadOperatorKey, verifyDescriptor, DescriptorError } from './descriptor.js';
import { encodeAddressTicket, signAddressTicket } from '../../shared/qmail/index.js';
import { eachLimited, probeEcho } from './probe.js';
import { ownerOnlyDir, prepareOwnerOnlySqlite } from '../owner-only.js';

export const ALLOCATE_DOMAIN = 'qmail-directory-allocate/1\n';
export const IDENTITY_DOMAIN = 'qmail-identity-record/1\n';
/** Denomination given to addresses the directory allocates (free registration). */
export const DEFAULT_DENOMINATION = 0;
/** Serials are drawn at random from [FIRST_SERIAL, 2^32): nobody can tell which address comes next. */
const FIRST_SERIAL = 1000;
const SERIAL_LIMIT = 2 ** 32;
const ALLOCATE_TRIES = 64;
const MAX_BODY = 64 * 1024;
const FUTURE_SKEW_MS = 5 * 60_000;

const b64 = z
  .string()
  .max(8192)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const addressText = z.string().regex(/^0006\.-?\d{1,3}\.\d{1,10}$/, 'must be a mailbox like 0006.0.1000');

export const allocateSchema = z.object({ name: z.string().min(1).max(64), signingKey: b64, proof: b64 }).strict();
export const identityRecordSchema = z
  .object({
    v: z.literal(1),
    address: addressText,
    name: z.string().min(1).max(64),
    /** ML-DSA-65 public key, base64: verifies this record and the owner's capsules. */
    signingKey: b64,
    /** Other public keys (e.g. ML-KEM-768, X25519), base64 by algorithm name. */
    keys: z.record(z.string().max(32), b64).refine((r) => Object.keys(r).length <= 8, 'at most 8 keys'),
    /** Node id of the identity's beacon, and of its storage servers. */
    beacon: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .nullable(),
    servers: z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(32),
    updatedAt: z.number().int().min(0),
  })
  .strict();
export type IdentityRecord = z.infer<typeof identityRecordSchema>;
const identityPutSchema = z.object({ record: identityRecordSchema, signature: b64 }).strict();

const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const enc = (s: string) => new TextEncoder().encode(s);

function verifySig(sigB64: string, msg: Uint8Array, pkB64: string): boolean {
  const pk = unb64(pkB64);
  if (pk.length !== 1952) return false;
  try {
    return ml_dsa65.verify(unb64(sigB64), msg, pk);
  } catch {
    return false;
  }
}

export function allocateMessage(name: string, signingKey: string): Uint8Array {
  return enc(ALLOCATE_DOMAIN + canonicalJson({ name, signingKey }));
}
export function identityMessage(r: IdentityRecord): Uint8Array {
  return enc(IDENTITY_DOMAIN + canonicalJson(r));
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DirectoryOptions {
  dataDir: string;
  host?: string;
  port?: number;
  now?: () => number;
  /** How often every listed server is probed (RAIDA echo); 0 = never. Default 60 s. */
  probeIntervalMs?: number;
  /** Deadline of one probe. Default 3 s. */
  probeTimeoutMs?: number;
}

/** Probes in flight at once, and servers probed per round at most. */
const PROBE_CONCURRENCY = 8;
const PROBE_MAX_SERVERS = 2000;
/** Weight of the newest round-trip time in the latency average. */
const LATENCY_WEIGHT = 0.3;

/** What the directory itself observed of a server (never what the server says of itself). */
export interface Measured {
  /** Seconds from the first of the current run of successful probes to the last of them; 0 when the last probe failed or none ran. */
  upSeconds: number;
  probes: number;
  successes: number;
  /** successes / probes (0 before the first probe). */
  successRatio: number;
  /** Smoothed echo round trip, ms; null before the first success. */
  latencyMs: number | null;
  lastProbe: number | null;
}
export interface RunningDirectory {
  url: string;
  port: number;
  /** The ML-DSA-65 key that signs address tickets (EXT-7), base64: nodes of this network pin it. */
  publicKey: string;
  close(): Promise<void>;
}

export async function startDirectory(o: DirectoryOptions): Promise<RunningDirectory> {
  const now = o.now ?? Date.now;
  // The folder holds the key that signs address tickets: the operator's alone, as a node's.
  ownerOnlyDir(o.dataDir);
  prepareOwnerOnlySqlite(join(o.dataDir, 'directory.db'));
  const db = new Database(join(o.dataDir, 'directory.db'));
  // The key that signs address tickets (EXT-7); nodes trust it to check registrations.
  const directoryKey = loadOperatorKey(o.dataDir, 'directory-key.json');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
CREATE TABLE IF NOT EXISTS servers (node_id TEXT PRIMARY KEY, issued_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, first_seen INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS addresses (serial INTEGER PRIMARY KEY, denomination INTEGER NOT NULL, signing_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS identities (address TEXT PRIMARY KEY, name_lc TEXT NOT NULL, updated_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS identities_name ON identities (name_lc);
CREATE TABLE IF NOT EXISTS measurements (node_id TEXT PRIMARY KEY, probes INTEGER NOT NULL, successes INTEGER NOT NULL, up_since INTEGER, last_ok INTEGER, last_probe INTEGER, latency_ms REAL);`);

  const q = {
    server: db.prepare('SELECT issued_at FROM servers WHERE node_id = ?'),
    putServer: db.prepare(`INSERT INTO servers (node_id, issued_at, last_seen, first_seen, body) VALUES (@id, @issued, @now, @now, @body)
      ON CONFLICT (node_id) DO UPDATE SET issued_at = excluded.issued_at, last_seen = excluded.last_seen, body = excluded.body`),
    servers: db.prepare(`SELECT s.body, s.last_seen, s.first_seen, m.probes, m.successes, m.up_since, m.last_ok, m.last_probe, m.latency_ms
      FROM servers s LEFT JOIN measurements m ON m.node_id = s.node_id ORDER BY s.node_id`),
    serverBody:
      db.prepare(`SELECT s.body, s.last_seen, s.first_seen, m.probes, m.successes, m.up_since, m.last_ok, m.last_probe, m.latency_ms
      FROM servers s LEFT JOIN measurements m ON m.node_id = s.node_id WHERE s.node_id = ?`),
    probeTargets: db.prepare('SELECT node_id, body FROM servers ORDER BY node_id LIMIT ?'),
    measure: db.prepare(`INSERT INTO measurements (node_id, probes, successes, up_since, last_ok, last_probe, latency_ms)
      VALUES (@id, 1, @ok, CASE WHEN @ok = 1 THEN @now END, CASE WHEN @ok = 1 THEN @now END, @now, @rtt)
      ON CONFLICT (node_id) DO UPDATE SET probes = probes + 1, successes = successes + @ok,
        up_since = CASE WHEN @ok = 1 THEN COALESCE(up_since, @now) END,
        last_ok = CASE WHEN @ok = 1 THEN @now ELSE last_ok END,
        last_probe = @now,
        latency_ms = CASE WHEN @ok = 1 THEN COALESCE(latency_ms * (1 - ${LATENCY_WEIGHT}) + @rtt * ${LATENCY_WEIGHT}, @rtt) ELSE latency_ms END`),
    byKey: db.prepare('SELECT serial, denomination FROM addresses WHERE signing_key = ?'),
    bySerial: db.prepare('SELECT signing_key, denomination FROM addresses WHERE serial = ?'),
    allocate: db.prepare('INSERT INTO addresses (serial, denomination, signing_key, name, created_at) VALUES (?, ?, ?, ?, ?)'),
    identity: db.prepare('SELECT body, updated_at FROM identities WHERE address = ?'),
    putIdentity: db.prepare(`INSERT INTO identities (address, name_lc, updated_at, body) VALUES (?, ?, ?, ?)
      ON CONFLICT (address) DO UPDATE SET name_lc = excluded.name_lc, updated_at = excluded.updated_at, body = excluded.body`),
    search: db.prepare("SELECT body FROM identities WHERE name_lc LIKE ? ESCAPE '\\' ORDER BY name_lc, address LIMIT ?"),
    // Any part of a name or an address; a name starting with it first, then a word of it, then the rest.
    find: db.prepare(`SELECT body FROM identities
      WHERE name_lc LIKE '%' || @q || '%' ESCAPE '\\' OR address LIKE '%' || @q || '%' ESCAPE '\\'
      ORDER BY CASE WHEN name_lc LIKE @q || '%' ESCAPE '\\' THEN 0 WHEN name_lc LIKE '% ' || @q || '%' ESCAPE '\\' THEN 1 WHEN address LIKE @q || '%' ESCAPE '\\' THEN 2 ELSE 3 END,
        name_lc, address LIMIT @limit`),
  };

  const allocate = db.transaction((name: string, key: string): { serial: number; denomination: number } => {
    const had = q.byKey.get(key) as { serial: number; denomination: number } | undefined;
    if (had) return had;
    for (let i = 0; i < ALLOCATE_TRIES; i++) {
      const serial = randomInt(FIRST_SERIAL, SERIAL_LIMIT);
      if (q.bySerial.get(serial)) continue; // taken: draw again
      q.allocate.run(serial, DEFAULT_DENOMINATION, key, name, now());
      return { serial, denomination: DEFAULT_DENOMINATION };
    }
    throw new HttpError(507, 'address space exhausted');
  });

  async function readJson(req: IncomingMessage): Promise<unknown> {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'content-type must be application/json');
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_BODY) throw new HttpError(413, `body exceeds ${MAX_BODY} bytes`);
      chunks.push(c);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
  }
  function parse<T>(schema: z.ZodType<T>, v: unknown): T {
    const r = schema.safeParse(v);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new HttpError(400, `invalid request: ${i?.path.join('.') || '(root)'}: ${i?.message}`);
    }
    return r.data;
  }
  type ServerRow = {
    body: string;
    last_seen: number;
    first_seen: number;
    probes: number | null;
    successes: number | null;
    up_since: number | null;
    last_ok: number | null;
    last_probe: number | null;
    latency_ms: number | null;
  };
  const measuredOf = (r: ServerRow): Measured => ({
    upSeconds: r.up_since !== null && r.last_ok !== null ? Math.max(0, Math.floor((r.last_ok - r.up_since) / 1000)) : 0,
    probes: r.probes ?? 0,
    successes: r.successes ?? 0,
    successRatio: r.probes ? (r.successes ?? 0) / r.probes : 0,
    latencyMs: r.latency_ms === null ? null : Math.round(r.latency_ms * 10) / 10,
    lastProbe: r.last_probe,
  });
  const serverView = (row: ServerRow) => ({
    ...(JSON.parse(row.body) as object),
    lastSeen: row.last_seen,
    firstSeen: row.first_seen,
    measured: measuredOf(row),
  });

  // Probes: the uptime, availability and latency clients rank servers by.
  const probeTimeoutMs = o.probeTimeoutMs ?? 3000;
  const probeOne = async (nodeId: string, body: string) => {
    const d = (JSON.parse(body) as { descriptor: { host: string; port: number; raidaId: number } }).descriptor;
    const rtt = await probeEcho({ nodeId, host: d.host, port: d.port, raidaId: d.raidaId }, probeTimeoutMs);
    if (closed) return;
    q.measure.run({ id: nodeId, ok: rtt === undefined ? 0 : 1, now: now(), rtt: rtt ?? null });
  };
  let closed = false;
  let round: Promise<void> | null = null;
  const probeRound = () => {
    round ??= eachLimited(q.probeTargets.all(PROBE_MAX_SERVERS) as { node_id: string; body: string }[], PROBE_CONCURRENCY, (r) =>
      probeOne(r.node_id, r.body),
    )
      .catch(() => undefined)
      .finally(() => (round = null));
    return round;
  };
  const probeEvery = o.probeIntervalMs ?? 60_000;
  const prober = probeEvery > 0 ? setInterval(() => void probeRound(), probeEvery) : undefined;
  prober?.unref();

  async function route(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? '/', 'http://directory');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    if (parts[0] !== 'v1') throw new HttpError(404, 'not found');
    const [, coll, id] = parts;
    if (parts.length > 3) throw new HttpError(404, 'not found');
    if (coll === 'health' && method === 'GET') return [200, { ok: true }];
    if (coll === 'key' && !id && method === 'GET')
      return [200, { alg: 'ML-DSA-65', publicKey: Buffer.from(directoryKey.publicKey).toString('base64') }];
    if (coll === 'servers') {
      if (!id && method === 'POST') {
        let signed;
        try {
          signed = verifyDescriptor(await readJson(req));
        } catch (e) {
          if (e instanceof DescriptorError) throw new HttpError(400, e.message);
          throw e;
        }
        const d = signed.descriptor;
        if (d.issuedAt > now() + FUTURE_SKEW_MS) throw new HttpError(400, 'descriptor issued in the future');
        const prev = q.server.get(d.nodeId) as { issued_at: number } | undefined;
        if (prev && prev.issued_at >= d.issuedAt) throw new HttpError(409, 'a newer descriptor is already published');
        const body = JSON.stringify({ descriptor: d, signature: signed.signature });
        q.putServer.run({ id: d.nodeId, issued: d.issuedAt, now: now(), body });
        // A server new to us is probed at once: it starts from zero, whatever it claims.
        if (!prev && probeEvery > 0) void probeOne(d.nodeId, body).catch(() => undefined);
        return [200, { nodeId: d.nodeId }];
      }
      if (!id && method === 'GET') return [200, { servers: (q.servers.all() as ServerRow[]).map(serverView) }];
      if (id && method === 'GET') {
        const row = q.serverBody.get(id) as ServerRow | undefined;
        if (!row) throw new HttpError(404, 'no such server');
        return [200, serverView(row)];
      }
    }
    if (coll === 'addresses' && !id && method === 'POST') {
      const a = parse(allocateSchema, await readJson(req));
      if (!verifySig(a.proof, allocateMessage(a.name, a.signingKey), a.signingKey))
        throw new HttpError(403, 'proof signature does not verify with signingKey');
      const { serial, denomination } = allocate(a.name, a.signingKey);
      // EXT-7: the ticket a node checks before it registers this address for this key.
      const ticket = signAddressTicket({ denomination, serial }, unb64(a.signingKey), now(), directoryKey.secretKey);
      return [
        200,
        {
          address: `0006.${denomination}.${serial}`,
          coinGroup: 6,
          denomination,
          serial,
          ticket: Buffer.from(encodeAddressTicket(ticket)).toString('base64'),
        },
      ];
    }
    if (coll === 'identities') {
      if (id && method === 'PUT') {
        const { record, signature } = parse(identityPutSchema, await readJson(req));
        if (record.address !== id) throw new HttpError(400, 'record address does not match the URL');
        const [, dn, sn] = record.address.split('.');
        const owner = q.bySerial.get(Number(sn)) as { signing_key: string; denomination: number } | undefined;
        if (!owner || owner.denomination !== Number(dn)) throw new HttpError(404, 'address was never allocated');
        if (owner.signing_key !== record.signingKey) throw new HttpError(403, 'address is bound to another key');
        if (!verifySig(signature, identityMessage(record), record.signingKey)) throw new HttpError(403, 'record signature does not verify');
        const prev = q.identity.get(id) as { updated_at: number } | undefined;
        if (prev && prev.updated_at >= record.updatedAt) throw new HttpError(409, 'a newer record is already stored');
        q.putIdentity.run(id, record.name.toLowerCase(), record.updatedAt, JSON.stringify({ record, signature }));
        return [200, { address: id }];
      }
      if (id && method === 'GET') {
        const row = q.identity.get(id) as { body: string } | undefined;
        if (!row) throw new HttpError(404, 'no such identity');
        return [200, JSON.parse(row.body)];
      }
      if (!id && method === 'GET') {
        const limit = Math.min(50, Math.max(1, Number(url.searchParams.get('limit') ?? 10) || 10));
        const escape = (t: string) => t.replace(/[\\%_]/g, (c) => '\\' + c);
        const text = url.searchParams.get('q');
        if (text !== null) {
          const needle = text.trim().toLowerCase().slice(0, 64);
          if (!needle) return [200, { identities: [] }];
          return [200, { identities: (q.find.all({ q: escape(needle), limit }) as { body: string }[]).map((r) => JSON.parse(r.body)) }];
        }
        const prefix = (url.searchParams.get('prefix') ?? '').toLowerCase().slice(0, 64);
        const rows = q.search.all(escape(prefix) + '%', limit) as { body: string }[];
        return [200, { identities: rows.map((r) => JSON.parse(r.body)) }];
      }
    }
    throw new HttpError(coll && ['servers', 'addresses', 'identities', 'health', 'key'].includes(coll) ? 405 : 404, 'no such route');
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .then(([status, body]) => send(res, status, body))
      .catch((e: unknown) => {
        if (e instanceof HttpError) send(res, e.status, { error: e.message });
        else send(res, 500, { error: 'internal error' });
      });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => res());
  });
  const port = (server.address() as { port: number }).port;
  const host = o.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    publicKey: Buffer.from(directoryKey.publicKey).toString('base64'),
    close: async () => {
      closed = true;
      if (prober) clearInterval(prober);
      await round;
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      db.close();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
