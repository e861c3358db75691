// Streamed stripe encryption for messages of any size (many GB) in constant memory.
// The main thread only moves bytes between streams and a worker thread; every bulk
// operation runs in worker.ts through node:crypto. Output is byte-identical to the pure
// shared/stripe encryptMessage for the same secrets.
// Longer than 400 lines on purpose: the encrypt and decrypt pipelines share the worker
// protocol, the back-pressure and the error paths defined here, and split apart they would
// each need the other's internals.
import { WriteStream } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { CryptoError, type CryptoErrorCode } from '../../../shared/crypto/errors.js';
import { checkLayout, stripeLength, type Layout } from '../../../shared/stripe/layout.js';
import { checkSecrets, newMessageSecrets, TRAILER_BYTES, type MessageSecrets, type StripeProblem } from '../../../shared/stripe/message.js';
import { Balancer } from './balance.js';
import { toWire, type FromWorker, type ToWorker } from './protocol.js';
import { cryptoWorkerUrl } from './worker-url.js';

export interface Progress {
  phase: 'encrypt' | 'verify' | 'decrypt';
  done: number;
  total: number;
}

export interface StreamOptions {
  /** Bytes per stripe per chunk (64 KiB – 1 MiB). */
  stripeChunkBytes?: number;
  onProgress?: (p: Progress) => void;
}

/**
 * Plaintext bytes per chunk when the caller does not choose: every chunk costs a few
 * thread hand-offs and cipher set-ups, so chunks are large (4 MiB of message), within the
 * 64 KiB – 1 MiB per stripe bounds.
 */
const DEFAULT_CHUNK_BYTES = 4 << 20;
/** Worker threads per message: the bulk work is split between them (see balance.ts). */
const WORKERS = 2;
/** Chunks in flight per message: enough that no worker waits for the main thread. */
const DEPTH = 3;
/** Split ranges start on multiples of this many groups (the SIMD kernels' blocks). */
const SPLIT_UNIT = 64;

/** Bytes per stripe per chunk. */
function chunkSize(opts: StreamOptions, k: number): number {
  const c = opts.stripeChunkBytes ?? Math.min(1 << 20, Math.max(65536, 2 ** Math.floor(Math.log2(DEFAULT_CHUNK_BYTES / k))));
  if (!Number.isInteger(c) || c < 65536 || c > 1 << 20) throw new CryptoError('bad-input', 'stripe chunk must be 64 KiB – 1 MiB');
  return c;
}

// Chunk buffers are shared with the workers, which keep references to them until their
// own garbage collection runs, and that can be long after a message ends. Fresh buffers
// per message would pile up; these are reused by the next message instead.
const SHARED_POOL_BYTES = 48 << 20;
const sharedPool: SharedArrayBuffer[] = [];

function takeShared(size: number): SharedArrayBuffer {
  const at = sharedPool.findIndex((b) => b.byteLength === size);
  return at >= 0 ? sharedPool.splice(at, 1)[0]! : new SharedArrayBuffer(size);
}

let poolTimer: ReturnType<typeof setTimeout> | undefined;

function giveShared(buffers: SharedArrayBuffer[]): void {
  for (const b of buffers) {
    let pooled = sharedPool.reduce((sum, x) => sum + x.byteLength, 0);
    // Oldest first out when a message of another shape needs room.
    while (sharedPool.length && pooled + b.byteLength > SHARED_POOL_BYTES) pooled -= sharedPool.shift()!.byteLength;
    if (pooled + b.byteLength <= SHARED_POOL_BYTES) sharedPool.push(b);
  }
  // Let go of them when no message has come for as long as idle workers are kept.
  if (poolTimer) clearTimeout(poolTimer);
  poolTimer = setTimeout(() => {
    sharedPool.length = 0;
  }, IDLE_MS);
  poolTimer.unref?.();
}

/** One worker thread with an ordered request/reply queue (also the side worker of offload.ts). */
export class CryptoWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | undefined;

  constructor() {
    this.worker = new Worker(cryptoWorkerUrl());
    this.worker.on('message', (m: FromWorker) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m.type === 'error') w.reject(new CryptoError(m.code as CryptoErrorCode, m.message));
      else w.resolve(m);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`crypto worker exited (${code})`)));
  }
  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
  send(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.failed) throw this.failed;
    this.worker.postMessage(msg, transfer);
  }
  request(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.failed) return Promise.reject(this.failed);
    const p = new Promise<FromWorker>((resolve, reject) => this.waiting.push({ resolve, reject }));
    // A reply abandoned on an error path must not surface as an unhandled rejection when
    // the worker is closed; whoever awaits `p` still sees the failure.
    p.catch(() => undefined);
    this.worker.postMessage(msg, transfer);
    return p;
  }
  async close(): Promise<void> {
    this.failed ??= new Error('closed');
    await this.worker.terminate();
  }
  /** Ended or failed: it takes no more requests. */
  get broken(): boolean {
    return this.failed !== undefined;
  }
  /** Usable for another message: alive and with no reply outstanding. */
  get reusable(): boolean {
    return !this.failed && this.waiting.length === 0;
  }
  /** Idle workers must not keep the process alive. */
  setIdle(idle: boolean): void {
    if (idle) this.worker.unref();
    else this.worker.ref();
  }
}

// Starting a worker thread costs tens of milliseconds of CPU (far more under the dev-time
// TypeScript loader), so finished messages hand their two workers back to a small idle
// pool; every message re-initialises the worker state. Idle workers are unref'd and end
// after IDLE_MS.
const IDLE_MS = 30_000;
const idle: { worker: CryptoWorker; timer: ReturnType<typeof setTimeout> }[] = [];

function takeWorkers(count: number): CryptoWorker[] {
  const out: CryptoWorker[] = [];
  while (out.length < count) {
    const entry = idle.pop();
    if (!entry) {
      out.push(new CryptoWorker());
      continue;
    }
    clearTimeout(entry.timer);
    if (!entry.worker.reusable) {
      void entry.worker.close();
      continue;
    }
    entry.worker.setIdle(false);
    out.push(entry.worker);
  }
  return out;
}

/** Back to the pool after a clean finish; closed after a failure (its state is unknown). */
async function releaseWorkers(workers: CryptoWorker[], clean: boolean): Promise<void> {
  for (const worker of workers) {
    if (!clean || !worker.reusable || idle.length >= 4) {
      await worker.close();
      continue;
    }
    worker.setIdle(true);
    const timer = setTimeout(() => {
      const at = idle.findIndex((e) => e.worker === worker);
      if (at >= 0) idle.splice(at, 1);
      void worker.close();
    }, IDLE_MS);
    timer.unref?.();
    idle.push({ worker, timer });
  }
}

/**
 * Sinks that are done with a chunk once its write callback has run (files, sockets):
 * they get views of the pipeline's reused buffers. Any other sink may keep what it is
 * given (a collector, a PassThrough), so it gets its own copy.
 */
function releasesChunks(sink: Writable): boolean {
  return sink instanceof WriteStream || sink instanceof Socket;
}

/** A chunk's output, and how to hand its buffers back once written. */
interface Written {
  parts: Uint8Array[];
  release: () => void;
}

/** Writes a view of a reused buffer; resolves once the sink has consumed it. */
function writeBorrowed(sink: Writable, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.write(Buffer.from(data.buffer, data.byteOffset, data.length), (e) => (e ? reject(e) : resolve()));
  });
}

function write(sink: Writable, data: Uint8Array): Promise<void> {
  if (sink.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      sink.off('drain', done);
      sink.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    sink.on('drain', done);
    sink.on('error', done);
  });
}

function end(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.once('error', reject);
    sink.end(() => resolve());
  });
}

/**
 * Pulls exact-size pieces out of a byte stream, into buffers the caller owns. Chunks are
 * taken as the stream emits them ('data'), up to QUEUE_LIMIT ahead, so a stream never has
 * to concatenate its buffered chunks for us (its async iterator would).
 */
const QUEUE_LIMIT = 4 << 20;

/** Exact reads over some byte source. */
abstract class SourceReader {
  /** Fills `out`; returns the number of bytes read, fewer only at the end. */
  abstract readInto(out: Uint8Array): Promise<number>;
  abstract close(): Promise<void>;
  /** Up to n bytes in a fresh buffer; fewer only at the end. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    const have = await this.readInto(out);
    return have === n ? out : out.slice(0, have);
  }
}

class ExactReader extends SourceReader {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  constructor(private readonly stream: Readable) {
    super();
    stream.on('data', (c: Buffer | Uint8Array | string) => {
      const b = typeof c === 'string' ? new TextEncoder().encode(c) : new Uint8Array(c.buffer, c.byteOffset, c.length);
      this.queue.push(b);
      this.queued += b.length;
      if (this.queued >= QUEUE_LIMIT) stream.pause();
      this.notify();
    });
    stream.once('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.once('error', (e: Error) => {
      this.failure ??= e;
      this.notify();
    });
    stream.once('close', () => {
      if (!this.ended) this.failure ??= new CryptoError('bad-input', 'the stream closed before its end');
      this.notify();
    });
  }
  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  private async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const b = this.queue.shift();
      if (b) {
        this.queued -= b.length;
        if (this.queued < QUEUE_LIMIT && this.stream.isPaused()) this.stream.resume();
        return b;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
  /** Fills `out`; returns the number of bytes read, fewer only at end of stream. */
  async readInto(out: Uint8Array): Promise<number> {
    const n = out.length;
    let have = 0;
    while (have < n) {
      if (this.pending.length === 0) {
        const b = await this.next();
        if (!b) break;
        this.pending = b;
        continue;
      }
      const take = Math.min(n - have, this.pending.length);
      out.set(this.pending.subarray(0, take), have);
      this.pending = this.pending.subarray(take);
      have += take;
    }
    return have;
  }
  async close(): Promise<void> {
    this.stream.removeAllListeners('data');
    if (!this.stream.destroyed) this.stream.destroy();
  }
}

/**
 * The same for a stripe object in a file: positional reads straight into the caller's
 * buffer (shared or not), with no stream chunks to copy out of.
 */
class FileReader extends SourceReader {
  private handle: Promise<FileHandle> | undefined;
  private position = 0;
  constructor(private readonly path: string) {
    super();
  }
  private open(): Promise<FileHandle> {
    this.handle ??= openFile(this.path, 'r');
    return this.handle;
  }
  async readInto(out: Uint8Array): Promise<number> {
    const fh = await this.open();
    let have = 0;
    while (have < out.length) {
      const { bytesRead } = await fh.read(out, have, out.length - have, this.position);
      if (bytesRead === 0) break;
      have += bytesRead;
      this.position += bytesRead;
    }
    return have;
  }
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h.catch(() => undefined))?.close();
  }
}

/** Bytes to read: a stream, or a file read in place (`{ path }`). */
export type ByteSource = Readable | { path: string };

/** The file a source names, if it is a file to be read in place. */
function pathOf(source: ByteSource): string | undefined {
  return 'path' in source && typeof source.path === 'string' && !('pipe' in source) ? source.path : undefined;
}

function readerFor(source: ByteSource): SourceReader {
  const path = pathOf(source);
  return path !== undefined ? new FileReader(path) : new ExactReader(source as Readable);
}

/** Up to n bytes of the file at `path` from byte `at`. */
async function readFileAt(path: string, at: number, n: number): Promise<Uint8Array> {
  const fh = await openFile(path, 'r');
  try {
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n) {
      const { bytesRead } = await fh.read(out, have, n - have, at + have);
      if (bytesRead === 0) break;
      have += bytesRead;
    }
    return out.subarray(0, have);
  } finally {
    await fh.close();
  }
}

/**
 * Bytes of a stripe file a worker reads and hashes per request when verifying it in place:
 * two requests queued keep it busy, and progress is reported after each.
 */
const VERIFY_FILE_BYTES = 8 << 20;

/** A few reusable buffers of one size: chunks go to the worker and come back. */
class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  constructor(
    private readonly size: number,
    private readonly keep = 4,
  ) {}
  take(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(this.size);
  }
  give(b: ArrayBufferLike): void {
    if (b.byteLength === this.size && b instanceof ArrayBuffer && this.free.length < this.keep) this.free.push(b);
  }
}

export interface EncryptStreamOptions extends StreamOptions {
  /** Plaintext length; the MAC binds it, so it must be known before the first byte. */
  length: number;
  secrets?: MessageSecrets;
}

/**
 * Reads `length` plaintext bytes from `input` (a stream, or a file named by `{ path }`
 * and read in place), writes one stripe object per slot to `sinks[slot]` (ciphertext ‖
 * tag ‖ crc32) and ends them. Returns the secrets that go in the capsule.
 */
export async function encryptMessageStream(
  input: ByteSource,
  layout: Layout,
  sinks: Writable[],
  opts: EncryptStreamOptions,
): Promise<MessageSecrets> {
  const { k, p } = checkLayout(layout);
  if (sinks.length !== k + p) throw new CryptoError('bad-input', `need ${k + p} sinks`);
  const secrets = checkSecrets(opts.secrets ?? newMessageSecrets({ k, p }, opts.length));
  if (secrets.length !== opts.length || secrets.layout.k !== k || secrets.layout.p !== p)
    throw new CryptoError('bad-input', 'secrets do not describe this message');
  const chunk = chunkSize(opts, k) * k;
  const n = k + p;
  const workers = takeWorkers(WORKERS);
  let clean = false;
  const reader = readerFor(input);
  const balance = new Balancer(workers.length);
  const borrow = sinks.map(releasesChunks);
  const pending: Promise<Written>[] = [];
  try {
    // Worker w owns the MAC and CRC of the logical stripes i ≡ w (mod workers).
    const own = workers.map((_, w) => [...Array(n).keys()].filter((i) => i % workers.length === w));
    workers.forEach((worker, w) => worker.send({ type: 'encrypt-init', secrets: toWire(secrets), own: own[w]! }));
    const maxStride = (Math.ceil(chunk / k) + 3) & ~3;
    // A ring of at most DEPTH chunk buffers (input and stripes), shared with the workers.
    const free: { input: SharedArrayBuffer; striped: SharedArrayBuffer }[] = [];
    const take = () => free.pop() ?? { input: takeShared(chunk), striped: takeShared(n * maxStride) };
    // Each worker runs its MACs chunk after chunk: those requests are posted in chunk order.
    let macsPosted: Promise<unknown> = Promise.resolve();
    let at = 0;
    /** One chunk through the workers; resolves to each slot's ciphertext, and how to free its buffers. */
    const encryptChunk = async (data: Uint8Array, bufs: { input: SharedArrayBuffer; striped: SharedArrayBuffer }): Promise<Written> => {
      const S = Math.ceil(data.length / k);
      const stride = (S + 3) & ~3;
      const striped = new Uint8Array(bufs.striped, 0, n * stride);
      const bounds = balance.split(S, SPLIT_UNIT);
      const chunkAt = at;
      at += S;
      const ranges = Promise.all(
        workers.map(async (worker, w) => {
          const [g0, g1] = [bounds[w]!, bounds[w + 1]!];
          const r = await worker.request({ type: 'encrypt-range', input: data, striped, S, stride, at: chunkAt, g0, g1 });
          if (r.type === 'done') balance.recordShared(w, r.ms, g1 - g0);
        }),
      );
      // Awaited only once the previous chunk's MACs are posted: if those fail first (a worker
      // closed after an error), this one's failure has nobody waiting and must not go unhandled.
      ranges.catch(() => undefined);
      const macs = macsPosted
        .then(() => ranges)
        .then(() =>
          workers.map((worker, w) =>
            worker.request({ type: 'mac-lanes', striped, S, stride }).then((r) => {
              if (r.type === 'done') balance.recordOwned(w, r.ms, S);
            }),
          ),
        );
      macsPosted = macs;
      macsPosted.catch(() => undefined);
      await Promise.all(await macs);
      const parts = Array.from({ length: n }, (_, slot) => {
        const view = striped.subarray(secrets.perm[slot]! * stride, secrets.perm[slot]! * stride + S);
        return borrow[slot] ? view : Buffer.from(view);
      });
      return { parts, release: () => void free.push(bufs) };
    };
    const flush = async (reply: Promise<Written>) => {
      const { parts, release } = await reply;
      await Promise.all(sinks.map((sink, slot) => (borrow[slot] ? writeBorrowed(sink, parts[slot]!) : write(sink, parts[slot]!))));
      release();
    };
    let done = 0;
    for (;;) {
      const want = Math.min(chunk, opts.length - done);
      if (want === 0) {
        if ((await reader.read(1)).length) throw new CryptoError('bad-input', `input is longer than ${opts.length} bytes`);
        break;
      }
      // Up to DEPTH chunks in flight: the workers compute while we read and write.
      if (pending.length >= DEPTH) await flush(pending.shift()!);
      const bufs = take();
      const data = new Uint8Array(bufs.input, 0, want);
      const got = await reader.readInto(data);
      if (got < want) throw new CryptoError('bad-input', `input ended after ${done + got} of ${opts.length} bytes`);
      const next = encryptChunk(data, bufs);
      next.catch(() => undefined);
      pending.push(next);
      done += want;
      opts.onProgress?.({ phase: 'encrypt', done, total: opts.length });
    }
    while (pending.length) await flush(pending.shift()!);
    const trailers: Uint8Array[] = new Array(n);
    const ends = await Promise.all(workers.map((worker) => worker.request({ type: 'encrypt-end' })));
    ends.forEach((t, w) => {
      if (t.type !== 'trailers') throw new CryptoError('bad-input', 'unexpected worker reply');
      own[w]!.forEach((idx, j) => {
        trailers[idx] = t.data.subarray(j * TRAILER_BYTES, (j + 1) * TRAILER_BYTES);
      });
    });
    clean = true;
    giveShared(free.flatMap((b) => [b.input, b.striped]));
    await Promise.all(
      sinks.map(async (sink, slot) => {
        await write(sink, trailers[secrets.perm[slot]!]!);
        await end(sink);
      }),
    );
    return secrets;
  } finally {
    await reader.close();
    await releaseWorkers(workers, clean);
  }
}

export interface DecryptStreamResult {
  problems: StripeProblem[];
}

/**
 * Rebuilds the plaintext into `output`. `openSlot(slot)` opens a fresh stream of that
 * slot's stored object, or names the file holding it (`{ path }`, read in place: no
 * stream chunks to copy), or returns undefined if the server did not deliver it; it is
 * called twice per slot: every stripe's CRC and MAC are verified (constant time) over
 * the whole stripe before a single byte is decrypted.
 */
export async function decryptMessageStream(
  openSlot: (slot: number) => ByteSource | undefined | Promise<ByteSource | undefined>,
  secrets: MessageSecrets,
  output: Writable,
  opts: StreamOptions = {},
): Promise<DecryptStreamResult> {
  checkSecrets(secrets);
  const { k, p } = secrets.layout;
  const n = k + p;
  const S = stripeLength(secrets.length, k);
  const chunk = chunkSize(opts, secrets.layout.k);
  const workers = takeWorkers(WORKERS);
  let clean = false;
  const results: (StripeProblem | 'good')[] = new Array(n);
  const pool = new BufferPool(chunk, 2 * workers.length);
  try {
    // Pass 1: verify every delivered stripe, two at a time (one per worker).
    let nextSlot = 0;
    let verified = 0;
    const verifySlot = async (worker: CryptoWorker, slot: number): Promise<StripeProblem | 'good'> => {
      const stream = await openSlot(slot);
      if (!stream) return { slot, reason: 'missing' };
      const path = pathOf(stream);
      if (path !== undefined) return verifyFile(worker, slot, path);
      const reader = readerFor(stream);
      try {
        worker.send({ type: 'verify-init', secrets: toWire(secrets), index: secrets.perm[slot]! });
        let left = S;
        let short = false;
        // At most two chunks queued at the worker: reading never runs ahead of hashing.
        const acks: Promise<FromWorker>[] = [];
        while (left > 0) {
          if (acks.length >= 2) {
            const a = await acks.shift()!;
            if (a.type === 'ack') pool.give(a.data.buffer);
          }
          const data = new Uint8Array(pool.take(), 0, Math.min(chunk, left));
          const got = await reader.readInto(data);
          if (got === 0) {
            short = true;
            break;
          }
          acks.push(worker.request({ type: 'verify-chunk', data: data.subarray(0, got) }, [data.buffer as ArrayBuffer]));
          left -= got;
          verified += got;
          opts.onProgress?.({ phase: 'verify', done: verified, total: n * S });
        }
        for (const a of acks) {
          const m = await a;
          if (m.type === 'ack') pool.give(m.data.buffer);
        }
        const trailer = await reader.read(TRAILER_BYTES);
        const extra = await reader.read(1);
        const v = await worker.request({ type: 'verify-end', trailer });
        if (short || trailer.length !== TRAILER_BYTES || extra.length) return { slot, reason: 'bad-length' };
        if (v.type === 'verified' && v.ok) return 'good';
        return { slot, reason: v.type === 'verified' && v.reason ? v.reason : 'mac-mismatch' };
      } finally {
        await reader.close();
      }
    };
    /** A stripe file read in place: the worker reads and hashes it itself, a range per request. */
    const verifyFile = async (worker: CryptoWorker, slot: number, path: string): Promise<StripeProblem | 'good'> => {
      // The trailer first (and whether anything follows it): a file that cannot be opened fails here, as a stream would.
      const tail = await readFileAt(path, S, TRAILER_BYTES + 1);
      worker.send({ type: 'verify-init', secrets: toWire(secrets), index: secrets.perm[slot]! });
      let short = false;
      const reads: Promise<FromWorker>[] = [];
      const settle = async () => {
        const r = await reads.shift()!;
        if (r.type !== 'read') throw new CryptoError('worker-failed', 'unexpected worker reply');
        verified += r.got;
        opts.onProgress?.({ phase: 'verify', done: verified, total: n * S });
        return r.got;
      };
      const lengths: number[] = [];
      for (let at = 0; at < S && !short; at += VERIFY_FILE_BYTES) {
        if (reads.length >= 2 && (await settle()) < lengths.shift()!) short = true;
        const length = Math.min(VERIFY_FILE_BYTES, S - at);
        lengths.push(length);
        reads.push(worker.request({ type: 'verify-file', path, at, length }));
      }
      while (reads.length) if ((await settle()) < lengths.shift()!) short = true;
      const trailer = tail.subarray(0, TRAILER_BYTES);
      const v = await worker.request({ type: 'verify-end', trailer });
      if (short || trailer.length !== TRAILER_BYTES || tail.length > TRAILER_BYTES) return { slot, reason: 'bad-length' };
      if (v.type === 'verified' && v.ok) return 'good';
      return { slot, reason: v.type === 'verified' && v.reason ? v.reason : 'mac-mismatch' };
    };
    const tooMany = () => {
      const problems = results.filter((r): r is StripeProblem => r !== undefined && r !== 'good');
      // Stopped early, the unverified stripes count as usable: still fewer than k.
      return new CryptoError(
        'too-many-missing',
        `cannot rebuild the message: need ${k} of ${n} stripes, at most ${n - problems.length} usable (${problems.map((x) => `slot ${x.slot} ${x.reason}`).join('; ')})`,
      );
    };
    // More than p missing or bad: stop at once, without verifying the rest.
    const beyondRepair = () => results.filter((r) => r !== undefined && r !== 'good').length > p;
    await Promise.all(
      workers.map(async (worker) => {
        while (nextSlot < n && !beyondRepair()) {
          const slot = nextSlot++;
          results[slot] = await verifySlot(worker, slot);
        }
      }),
    );
    if (beyondRepair()) throw tooMany();
    const problems = results.filter((r): r is StripeProblem => r !== 'good');
    const good = [...results.keys()].filter((slot) => results[slot] === 'good');
    if (good.length < k) throw tooMany();
    // Pass 2: decrypt k stripes (data first, parity only for missing data) and rebuild.
    const byIndex = new Map(good.map((slot) => [secrets.perm[slot]!, slot]));
    const data = [...byIndex.keys()].filter((i) => i < k).sort((a, b) => a - b);
    const parity = [...byIndex.keys()].filter((i) => i >= k).sort((a, b) => a - b);
    const use = [...data, ...parity.slice(0, k - data.length)];
    const readers: SourceReader[] = [];
    try {
      const sources: ByteSource[] = [];
      for (const idx of use) {
        const stream = await openSlot(byIndex.get(idx)!);
        if (!stream) throw new CryptoError('too-many-missing', 'a verified stripe could not be opened again');
        sources.push(stream);
      }
      // All of them files: the workers read their ranges of each stripe themselves.
      const files = sources.map(pathOf);
      const inPlace = files.every((f) => f !== undefined) ? (files as string[]) : undefined;
      if (!inPlace) readers.push(...sources.map(readerFor));
      workers.forEach((worker) => worker.send({ type: 'decrypt-init', secrets: toWire(secrets), use }));
      const balance = new Balancer(workers.length);
      // Rings of ciphertext and joined buffers shared with the workers, reused chunk after chunk.
      const freeParts: SharedArrayBuffer[] = [];
      const freeOut: SharedArrayBuffer[] = [];
      const borrow = releasesChunks(output);
      let at = 0;
      const decryptChunk = async (
        partsBuf: SharedArrayBuffer | undefined,
        want: number,
      ): Promise<{ out: Uint8Array; release: () => void }> => {
        const parts = partsBuf ? new Uint8Array(partsBuf) : new Uint8Array(0);
        const outBuf = freeOut.pop() ?? takeShared(k * chunk + 1);
        const out = new Uint8Array(outBuf, 0, k * want + 1);
        const bounds = balance.split(want, SPLIT_UNIT);
        const chunkAt = at;
        at += want;
        await Promise.all(
          workers.map(async (worker, w) => {
            const [g0, g1] = [bounds[w]!, bounds[w + 1]!];
            const range = { type: 'decrypt-range' as const, parts, partStride: chunk, S: want, at: chunkAt, g0, g1, out };
            const r = await worker.request(inPlace ? { ...range, files: inPlace } : range);
            if (r.type === 'done') balance.recordShared(w, r.ms, g1 - g0);
          }),
        );
        if (partsBuf) freeParts.push(partsBuf);
        const joined = out.subarray(0, k * want);
        if (borrow) return { out: joined, release: () => void freeOut.push(outBuf) };
        freeOut.push(outBuf);
        return { out: Buffer.from(joined), release: () => undefined };
      };
      let done = 0;
      const pending: ReturnType<typeof decryptChunk>[] = [];
      let written = 0;
      const flush = async (reply: ReturnType<typeof decryptChunk>) => {
        const { out, release } = await reply;
        const keep = Math.min(out.length, secrets.length - written);
        await (borrow ? writeBorrowed(output, out.subarray(0, keep)) : write(output, out.subarray(0, keep)));
        release();
        written += keep;
        opts.onProgress?.({ phase: 'decrypt', done: written, total: secrets.length });
      };
      while (done < S) {
        const want = Math.min(chunk, S - done);
        if (pending.length >= DEPTH) await flush(pending.shift()!);
        let partsBuf: SharedArrayBuffer | undefined;
        if (!inPlace) {
          const buf = (partsBuf = freeParts.pop() ?? takeShared(k * chunk));
          const got = await Promise.all(readers.map((r, j) => r.readInto(new Uint8Array(buf, j * chunk, want))));
          if (got.some((x) => x !== want))
            throw new CryptoError('malformed-stripe', 'a stripe changed between verification and decryption');
        }
        const next = decryptChunk(partsBuf, want);
        next.catch(() => undefined);
        pending.push(next);
        done += want;
      }
      while (pending.length) await flush(pending.shift()!);
      clean = true;
      giveShared([...freeParts, ...freeOut]);
      await end(output);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
    return { problems };
  } finally {
    await releaseWorkers(workers, clean);
  }
}
