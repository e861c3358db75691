// The client end of the RAIDA wire over TCP. One connection carries requests in order
// (a qmail-server answers one connection's requests one after another), so responses
// are matched to requests by position; a small pool per server gives parallelism.
import { createConnection, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  Encryption,
  HEADER_LENGTH,
  Status,
  decodeResponseHeader,
  statusName,
  type DecodedResponse,
  type EncryptionType,
} from '../../../shared/raida/index.js';
import { decodeResponseFast, encodeRequestFast } from '../../../server/wire/envelope.js';
import { OFF_THREAD_BYTES, openResponseOffThread, sealRequestOffThread } from './envelope-offload.js';

export interface Endpoint {
  host: string;
  port: number;
  /** The node's RAIDA index (header byte 2). */
  raidaId: number;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: 'connect' | 'timeout' | 'closed' | 'protocol',
    message: string,
    /** Closed after part of this request's answer had come. */
    readonly midAnswer = false,
  ) {
    super(message);
  }
}

/** A server answered with a status that is not success. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly status: number,
    readonly what: string,
  ) {
    super(`${what}: server answered ${statusName(status)} (${status})`);
  }
}

export interface CallOptions {
  group: number;
  command: number;
  /** Plain body from a command codec: challenge first, 3E 3E last. */
  body: Uint8Array;
  /**
   * Seal with this AN in the authenticated envelope (EXT-8: AES-256-GCM, sender clock under
   * the tag), naming the key coin; otherwise the body goes in clear (type 0). Never the
   * standard's unauthenticated CTR, and no fallback to it.
   */
  an?: { key: Uint8Array; denomination: number; serial: number };
  timeoutMs?: number;
  /** Asking twice does no harm (a page read): a clear request lost unread may be resent too. */
  idempotent?: boolean;
}

interface Pending {
  resolve: (packet: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const random = (n: number) => new Uint8Array(randomBytes(n));

/** One TCP connection with in-order request/response matching. */
export class Connection {
  private readonly sock: Socket;
  private readonly pending: Pending[] = [];
  /** The answer being read: its header as it comes, then header and body in one buffer of their size. */
  private readonly head = Buffer.alloc(HEADER_LENGTH);
  private headFill = 0;
  private packet: Buffer | null = null;
  private packetFill = 0;
  private dead: Error | null = null;
  private closedHere = false;
  readonly ready: Promise<void>;

  /** `replacement`: a fresh connection to the same node, for a request this one lost unread. */
  constructor(
    readonly endpoint: Endpoint,
    connectTimeoutMs = 5000,
    private readonly replacement?: () => Connection,
  ) {
    this.sock = createConnection({ host: endpoint.host, port: endpoint.port });
    this.sock.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const e = new TransportError('timeout', `connecting to ${endpoint.host}:${endpoint.port} timed out`);
        this.fail(e);
        reject(e);
      }, connectTimeoutMs);
      this.sock.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      this.sock.once('error', (e) => {
        clearTimeout(t);
        reject(new TransportError('connect', `cannot reach ${endpoint.host}:${endpoint.port}: ${e.message}`));
      });
    });
    this.ready.catch(() => {});
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e) =>
      this.fail(new TransportError('closed', `connection to ${endpoint.host}:${endpoint.port} failed: ${e.message}`)),
    );
    this.sock.on('close', () => this.fail(new TransportError('closed', `connection to ${endpoint.host}:${endpoint.port} closed`)));
  }

  get alive(): boolean {
    return this.dead === null;
  }
  get busy(): number {
    return this.pending.length;
  }

  private fail(e: Error): void {
    if (!this.dead) this.dead = e;
    const partial = this.headFill > 0 || this.packet !== null;
    this.pending.splice(0).forEach((p, i) => {
      if (p.timer) clearTimeout(p.timer);
      p.reject(
        i === 0 && partial && e instanceof TransportError ? new TransportError(e.code, `${e.message} in the middle of an answer`, true) : e,
      );
    });
    this.sock.destroy();
  }

  // Each answer is copied once, from the socket's reads into a buffer of its own size: no
  // joining of reads, no second copy to put header and body together.
  private onData(d: Buffer): void {
    let at = 0;
    while (at < d.length) {
      if (!this.packet) {
        const n = Math.min(HEADER_LENGTH - this.headFill, d.length - at);
        d.copy(this.head, this.headFill, at, at + n);
        this.headFill += n;
        at += n;
        if (this.headFill < HEADER_LENGTH) return;
        let bodySize: number;
        try {
          bodySize = decodeResponseHeader(new Uint8Array(this.head.buffer, this.head.byteOffset, HEADER_LENGTH)).bodySize;
        } catch (e) {
          this.fail(new TransportError('protocol', `bad response header: ${(e as Error).message}`));
          return;
        }
        this.packet = Buffer.allocUnsafe(HEADER_LENGTH + bodySize);
        this.head.copy(this.packet, 0);
        this.packetFill = HEADER_LENGTH;
        this.headFill = 0;
      }
      const n = Math.min(this.packet.length - this.packetFill, d.length - at);
      d.copy(this.packet, this.packetFill, at, at + n);
      this.packetFill += n;
      at += n;
      if (this.packetFill < this.packet.length) return;
      const packet = this.packet;
      this.packet = null;
      const p = this.pending.shift();
      if (!p) {
        this.fail(new TransportError('protocol', 'response without a request'));
        return;
      }
      if (p.timer) clearTimeout(p.timer);
      p.resolve(new Uint8Array(packet.buffer, packet.byteOffset, packet.length));
    }
  }

  async call(o: CallOptions): Promise<DecodedResponse> {
    const res = await this.callOnce(o);
    // EXT-8: a node whose clock differs from ours by more than its window refuses with 198 and
    // tells its clock, sealed under our AN; correct for it (per connection) and ask once more.
    if (o.an && res.authenticated && res.status === Status.INVALID_PARAMETER && res.payload.length === 8) {
      const theirs = Number(new DataView(res.payload.buffer, res.payload.byteOffset, 8).getBigUint64(0));
      this.clockOffsetMs = theirs - Date.now();
      return this.callOnce(o);
    }
    return res;
  }

  /** Added to our clock in sealed requests: learned from a node that found it stale. */
  private clockOffsetMs = 0;

  private async callOnce(o: CallOptions): Promise<DecodedResponse> {
    await this.ready;
    if (this.dead) throw this.dead;
    const encryption: EncryptionType = o.an ? Encryption.AEAD : Encryption.NONE;
    const request = {
      now: Date.now() + this.clockOffsetMs,
      raidaId: this.endpoint.raidaId,
      group: o.group,
      command: o.command,
      body: o.body,
      encryption,
      random,
      ...(o.an ? { key: o.an.key, keyDenomination: o.an.denomination, keySerial: o.an.serial } : {}),
    };
    // A large sealed body (a page upload) has its AES-GCM run off the main thread: the same bytes.
    const req = o.an && o.body.length >= OFF_THREAD_BYTES ? await sealRequestOffThread(request) : encodeRequestFast(request);
    let packet: Uint8Array;
    try {
      packet = await this.exchange(req.packet, o.timeoutMs);
    } catch (e) {
      if (!(
        (o.an || o.idempotent) &&
        this.replacement &&
        !this.closedHere &&
        e instanceof TransportError &&
        e.code === 'closed' &&
        !e.midAnswer
      ))
        throw e;
      // The node closed the connection before a byte of the answer came: most often an idle
      // pooled connection it hung up (idle timeout, slot taken back) as the request went out.
      // The very same sealed packet goes once more on a fresh connection. If the node never
      // read it, it runs now; if it did, the node's replay guard refuses the copy (198, no
      // payload), so nothing runs twice and the first error stands for the caller to judge.
      // A clear request is resent only when asking twice does no harm.
      const res = decodeResponseFast(req, await this.replacement().exchange(req.packet, o.timeoutMs));
      if (res.status === Status.INVALID_PARAMETER && res.payload.length === 0) throw e;
      return res;
    }
    // So is a large sealed answer's (a page download).
    if (o.an && packet.length >= OFF_THREAD_BYTES) return openResponseOffThread(req, packet);
    return decodeResponseFast(req, packet);
  }

  /** Writes one encoded request and waits for its answer (by position). */
  private async exchange(packet: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    await this.ready;
    if (this.dead) throw this.dead;
    return new Promise<Uint8Array>((resolve, reject) => {
      const p: Pending = { resolve, reject, timer: undefined };
      if (timeoutMs) {
        p.timer = setTimeout(
          () =>
            this.fail(new TransportError('timeout', `${this.endpoint.host}:${this.endpoint.port} did not answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }
      this.pending.push(p);
      this.sock.write(packet);
    });
  }

  close(): void {
    this.closedHere = true;
    this.fail(new TransportError('closed', 'connection closed by the client'));
  }
}

/** A few connections per server, opened on demand, replaced when they die. */
export class ConnectionPool {
  private readonly pools = new Map<string, Connection[]>();
  private closed = false;

  constructor(private readonly perServer = 2) {}

  private key(e: Endpoint): string {
    return `${e.host}:${e.port}`;
  }

  /** The least busy live connection to this endpoint (a new one while under the cap). */
  get(e: Endpoint): Connection {
    if (this.closed) throw new TransportError('closed', 'the connection pool is closed');
    const k = this.key(e);
    const list = (this.pools.get(k) ?? []).filter((c) => c.alive);
    this.pools.set(k, list);
    const idle = list.find((c) => c.busy === 0);
    if (idle) return idle;
    if (list.length < this.perServer) return this.open(e, list);
    return list.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /** A new pooled connection; a request it loses unread goes once more on another new one. */
  private open(e: Endpoint, list: Connection[]): Connection {
    const c = new Connection(e, 5000, () => {
      if (this.closed) throw new TransportError('closed', 'the connection pool is closed');
      const k = this.key(e);
      const list = this.pools.get(k) ?? [];
      this.pools.set(k, list);
      return this.open(e, list);
    });
    list.push(c);
    return c;
  }

  /** A connection nobody else uses, for long polls; the caller closes it. */
  dedicated(e: Endpoint): Connection {
    return new Connection(e);
  }

  closeAll(): void {
    this.closed = true;
    for (const list of this.pools.values()) for (const c of list) c.close();
    this.pools.clear();
  }
}
