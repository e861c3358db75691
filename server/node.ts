// startServer(config) → a running qmail-server node: TCP listener speaking RAIDA framing,
// per-connection sequential request processing, storage, retention sweeps, and (when a
// directory URL is configured) a signed descriptor published at start and periodically.
import { createServer, type Server, type Socket } from 'node:net';
import {
  Encryption,
  ChangeCommand,
  Group,
  LegacyQMailCommand,
  RaidaError,
  Status,
  WireError,
  echoOf,
  encodeErrorResponse,
  type DecodedRequest,
} from '../shared/raida/index.js';
import { parseConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { Dispatcher, NO_LOCKERS, type LockerService, type NodeContext } from './dispatch.js';
import { createLogger, type Logger } from './log.js';
import { openStorage, StorageError, type Storage } from './storage/index.js';
import { TellBus } from './tellbus.js';
import { FrameReader, type Frame } from './wire/frames.js';
import { ConnectionTable, MemoryBudget, addressKey, type Reservation, type Slot, type SlotState } from './wire/admission.js';
import { tellRates } from './tellrate.js';
import { BeaconPurse } from './purse.js';
import { preAuthorize } from './wire/gate.js';
import { openRequest, respond } from './wire/envelope.js';
import { ReplayGuard, clockPayload, openReplayStore } from './wire/replay.js';
import { registerHandlers } from './handlers/index.js';
import { provisionMailboxes } from './handlers/auth.js';
import { isLegacyQMailCommand } from '../shared/qmail/index.js';
import { loadOperatorKey, makeDescriptor, nodeIdOf, type SignedDescriptor } from './directory/descriptor.js';
import { registrationAuthority } from './handlers/register.js';
import { publishDescriptor } from './directory/client.js';

export interface RunningServer {
  host: string;
  port: number;
  config: ServerConfig;
  storage: Storage;
  /** The node's current signed descriptor. */
  descriptor: SignedDescriptor;
  /** Live counters for tests, benchmarks and operators. */
  stats(): {
    connections: number;
    requests: number;
    errors: number;
    parkedPings: number;
    /** Connections refused, or closed to make room, by the connection caps. */
    refused: number;
    evicted: number;
    /** Connections closed because a request or an answer did not get through in requestTimeoutMs. */
    timedOut: number;
    /** Bytes reserved for bulk bodies now (limits.maxBufferedBytes). */
    reservedBytes: number;
  };
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
  /** Extra handlers (extensions, tests). */
  extend?: (d: Dispatcher) => void;
  /** Locker service for inbox fees (hook for Group 8); default: every locker is worth 0. */
  lockers?: LockerService;
}

export function storageErrorStatus(e: StorageError): number {
  switch (e.code) {
    case 'quota':
      return Status.FILESYSTEM;
    case 'sender_quota':
      return Status.REQUEST_RATE;
    case 'too_large':
      return Status.INVALID_PACKET_LENGTH;
    case 'conflict':
      return Status.FILE_EXISTS;
    case 'not_found':
      return Status.FILE_NOT_EXIST;
    case 'bad_page':
      return Status.INVALID_PARAMETER;
    default:
      return Status.FILESYSTEM;
  }
}

export async function startServer(input: ServerConfigInput | ServerConfig = {}, opts: StartOptions = {}): Promise<RunningServer> {
  const config = parseConfig(input);
  const log = opts.logger ?? createLogger(config.log.level);
  // Loaded before anything listens: it signs the descriptor and the validate ticket votes (handlers/chips.ts).
  const operatorKey = loadOperatorKey(config.dataDir);
  const now = opts.now ?? Date.now;
  const storage = await openStorage({
    dataDir: config.dataDir,
    backend: config.storage.backend,
    durable: config.storage.durable,
    now,
    ...(config.storage.postgresUrl ? { postgresUrl: config.storage.postgresUrl } : {}),
  });
  if (config.legacy.mailboxes.length) {
    try {
      log.info('provisioned mailboxes', await provisionMailboxes(storage, config.legacy.mailboxes, (msg, f) => log.warn(msg, f)));
    } catch (e) {
      await storage.close();
      throw e;
    }
  }
  let signalClosing!: () => void;
  const closing = new Promise<void>((r) => (signalClosing = r));
  // With the network's coin servers known, the node collects inbox fees itself (server/purse.ts).
  const purse =
    !opts.lockers && config.chips.networkFile
      ? new BeaconPurse({
          dataDir: config.dataDir,
          raidaId: config.raidaId,
          networkFile: config.chips.networkFile,
          chips: storage.chips,
          log,
        })
      : undefined;
  const ctx: NodeContext = {
    config,
    storage,
    log,
    tells: new TellBus(),
    lockers: opts.lockers ?? purse ?? NO_LOCKERS,
    now,
    closing,
    tellRates: tellRates(config.limits),
    operatorKey,
  };
  const dispatcher = new Dispatcher();
  registerHandlers(dispatcher);
  opts.extend?.(dispatcher);

  const replays = new ReplayGuard(openReplayStore(storage, config.dataDir), now);
  const sockets = new Set<Socket>();
  let requests = 0;
  let errors = 0;
  let inflight = 0;
  let idle: (() => void) | null = null;

  async function answer(frame: Extract<Frame, { kind: 'request' }>, gone: AbortSignal, peer: string): Promise<Uint8Array> {
    const { header, wireBody } = frame;
    const t0 = process.hrtime.bigint();
    let key: Uint8Array | undefined;
    if (header.encryption === Encryption.AN || header.encryption === Encryption.AEAD) {
      const keyCoin = { denomination: header.keyDenomination, serial: header.keySerial };
      const mint = header.group === Group.CHANGE && header.command === ChangeCommand.MINT && config.chips.mintKey;
      // The mint seals under its key; others under a mailbox's AN, else a coin's (a wallet may seal with a coin it holds here).
      key = mint
        ? new Uint8Array(Buffer.from(mint, 'hex'))
        : ((await storage.getAn(keyCoin)) ?? (await storage.chips.anOf(keyCoin)) ?? undefined);
    }
    // The CloudCoin client's download (64, unauthenticated, clear) carries a challenge without CRC.
    const uncheckedClearChallenge =
      config.legacy.commands && header.group === Group.QMAIL && header.command === LegacyQMailCommand.DOWNLOAD;
    let req: DecodedRequest;
    try {
      req = openRequest(header, wireBody, key, { uncheckedClearChallenge });
    } catch (e) {
      errors++;
      const status = e instanceof WireError ? e.status : Status.INVALID_PACKET_LENGTH;
      log.debug('request rejected', { group: header.group, command: header.command, status, reason: (e as Error).message });
      return encodeErrorResponse(config.raidaId, header.group, status, echoOf(header));
    }
    const fresh = await replays.check(req);
    if (fresh !== 'ok') {
      errors++;
      log.warn(fresh === 'stale' ? 'stale request refused' : 'replayed request refused', { group: header.group, command: header.command });
      // A stale clock is told the node's clock (sealed under the caller's AN, EXT-8), so its client can correct and retry.
      return respond(req, Status.INVALID_PARAMETER, fresh === 'stale' ? clockPayload(now()) : undefined);
    }
    const handler = dispatcher.find(header.group, header.command);
    let status: number;
    let payload: Uint8Array | undefined;
    if (!handler) {
      status = dispatcher.knowsGroup(header.group) ? Status.INVALID_COMMAND : Status.INVALID_COMMAND_GROUP;
    } else {
      try {
        const r = await handler(req, { ...ctx, gone, peer });
        status = r.status;
        payload = r.payload;
      } catch (e) {
        if (e instanceof WireError) status = e.status;
        else if (e instanceof StorageError) status = storageErrorStatus(e);
        else if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
          // A full disk is the file system's refusal, not a bug in the handler: said as such.
          status = Status.FILESYSTEM;
          log.warn('storage full', { group: header.group, command: header.command });
        } else {
          status = Status.INTERNAL;
          log.error('handler failed', { group: header.group, command: header.command, error: (e as Error).stack ?? String(e) });
        }
        log.debug('request failed', { group: header.group, command: header.command, status, reason: (e as Error).message });
      }
    }
    if (status !== Status.SUCCESS) errors++;
    const micros = Number((process.hrtime.bigint() - t0) / 1000n);
    return respond(req, status, payload && payload.length ? payload : undefined, Math.min(micros, 0xffffffff));
  }

  // Connection slots, per-address caps, the memory budget for bulk bodies (wire/admission.ts).
  const table = new ConnectionTable(config.limits.maxConnections, config.limits.maxConnectionsPerAddress);
  const memory = new MemoryBudget(config.limits.maxBufferedBytes);
  const frameLimits = {
    maxBody: config.limits.maxPacketBytes - 32,
    preAuthBytes: config.limits.preAuthBytes,
    legacy: config.legacy.commands,
  };
  const headerOptions = config.legacy.commands ? { versionZero: isLegacyQMailCommand } : {};
  const clock = () => performance.now();
  let timedOut = 0;
  let lastRefusalLog = -Infinity;

  function serve(sock: Socket): void {
    const reader = new FrameReader(frameLimits, headerOptions);
    // Aborted when the peer closes: a parked ping stops waiting and hands nothing over (NodeContext.gone).
    const gone = new AbortController();
    const queue: Frame[] = [];
    let running = false;
    let ended = false;
    let reservation: Reservation | null = null;
    let deadline: NodeJS.Timeout | undefined;
    const setState = (s: SlotState) => {
      slot.state = s;
      slot.since = clock();
    };
    const clearDeadline = () => {
      if (deadline) clearTimeout(deadline);
      deadline = undefined;
    };
    const releaseAll = () => {
      clearDeadline();
      queue.length = 0;
      reader.release();
      reservation?.release();
      reservation = null;
    };
    // Answer (optionally), stop reading, give the peer a moment to take the answer, then close.
    const hangUp = (last?: Uint8Array) => {
      if (slot.state === 'closing') return;
      setState('closing');
      releaseAll();
      if (sock.destroyed) return;
      sock.setTimeout(0);
      if (last) sock.write(last);
      sock.end();
      sock.resume(); // what the peer still sends is read and dropped, so it can take the answer and close cleanly
      setTimeout(() => sock.destroy(), 2000).unref();
    };
    const slot: Slot = { key: addressKey(sock.remoteAddress), state: 'new', since: clock(), evict: () => hangUp() };
    if (!table.admit(slot)) {
      if (clock() - lastRefusalLog > 10_000) {
        lastRefusalLog = clock();
        log.warn('connection refused: limits reached', {
          maxConnections: config.limits.maxConnections,
          perAddress: config.limits.maxConnectionsPerAddress,
          refused: table.refused,
        });
      }
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(config.limits.idleTimeoutMs);
    // A request's header and body must arrive within requestTimeoutMs of its first byte.
    const armDeadline = () => {
      clearDeadline();
      deadline = setTimeout(() => {
        if (slot.state !== 'receiving') return;
        timedOut++;
        errors++;
        log.debug('request not received in time', { group: reader.partialGroup, ms: config.limits.requestTimeoutMs });
        hangUp(encodeErrorResponse(config.raidaId, reader.partialGroup, Status.UDP_FRAME_TIMEOUT));
      }, config.limits.requestTimeoutMs);
    };
    const settle = () => {
      if (slot.state === 'closing' || sock.destroyed) return;
      if (reader.midFrame) {
        if (slot.state !== 'receiving') {
          setState('receiving');
          armDeadline();
        }
      } else if (slot.state !== 'idle') {
        clearDeadline();
        setState('idle');
      }
    };
    // The peer must take each answer within requestTimeoutMs too (a reader that never reads holds nothing for long).
    const write = (b: Uint8Array) =>
      new Promise<void>((res) => {
        if (sock.destroyed) return res();
        if (sock.write(b)) return res();
        const done = () => {
          clearTimeout(t);
          sock.off('drain', done).off('close', done);
          res();
        };
        const t = setTimeout(() => {
          timedOut++;
          sock.destroy();
        }, config.limits.requestTimeoutMs);
        sock.on('drain', done).on('close', done);
      });
    const finish = async () => {
      clearDeadline();
      if (reader.midFrame) {
        errors++;
        await write(encodeErrorResponse(config.raidaId, reader.partialGroup, Status.INVALID_PACKET_LENGTH));
      }
      hangUp();
    };
    // A bulk body over the pre-auth budget: check its sender, reserve its memory, then read it.
    const openGate = async (f: Extract<Frame, { kind: 'gate' }>): Promise<boolean> => {
      const refuse = async (status: number, why: string) => {
        requests++;
        errors++;
        log.debug('bulk body refused before it was read', { group: f.header.group, command: f.header.command, status, reason: why });
        await write(encodeErrorResponse(config.raidaId, f.header.group, status, echoOf(f.header)));
        hangUp();
        return false;
      };
      const status = await preAuthorize(f.header, f.prefix, storage).catch(() => Status.INTERNAL);
      if (status !== null) return refuse(status, 'sender not authenticated');
      reservation = memory.reserve(f.header.bodyLength, config.limits.requestTimeoutMs);
      if (!(await reservation.granted)) return slot.state === 'closing' ? false : refuse(Status.MEMORY_ALLOC, 'memory budget full');
      if (slot.state === 'closing') return false;
      queue.push(...reader.admit());
      return true;
    };
    const pump = async () => {
      if (running) return;
      running = true;
      sock.pause();
      sock.setTimeout(0); // a parked ping is not idleness
      clearDeadline();
      setState('busy');
      inflight++;
      try {
        while (queue.length) {
          const f = queue.shift()!;
          if (f.kind === 'gate') {
            if (!(await openGate(f))) return;
            continue;
          }
          requests++;
          if (f.kind === 'fatal') {
            errors++;
            log.debug('stream rejected', { status: f.status, reason: f.message });
            await write(encodeErrorResponse(config.raidaId, f.group, f.status, f.echo));
            hangUp();
            return;
          }
          const out = await answer(f, gone.signal, slot.key).catch((e: unknown) => {
            log.error('unexpected failure', { error: (e as Error).stack ?? String(e) });
            return encodeErrorResponse(config.raidaId, f.header.group, Status.INTERNAL, echoOf(f.header));
          });
          reservation?.release(); // the admitted body, if this was it, is answered
          reservation = null;
          await write(out);
        }
        if (ended) await finish();
      } finally {
        running = false;
        inflight--;
        if (inflight === 0 && idle) idle();
        if (slot.state !== 'closing' && !sock.destroyed) {
          // A request already under way gets a full deadline from now: it could not be read while we answered.
          setState(reader.midFrame ? 'receiving' : 'idle');
          if (reader.midFrame) armDeadline();
          sock.setTimeout(config.limits.idleTimeoutMs);
          sock.resume();
        }
      }
    };
    sock.on('data', (d: Buffer) => {
      const frames = reader.push(d);
      if (frames.length) {
        queue.push(...frames);
        void pump();
      } else if (!running) settle();
    });
    sock.on('end', () => {
      ended = true;
      gone.abort();
      if (!running) void finish();
    });
    sock.on('timeout', () => sock.destroy());
    sock.on('error', (e) => log.debug('socket error', { error: e.message }));
    sock.on('close', () => {
      gone.abort();
      sockets.delete(sock);
      table.remove(slot);
      slot.state = 'closing';
      releaseAll();
    });
  }

  const server: Server = createServer({ allowHalfOpen: true }, serve);
  server.on('error', (e) => log.error('listener error', { error: e.message }));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', rej);
      res();
    });
  });
  const port = (server.address() as { port: number }).port;
  const startedAt = now();

  // Retention
  const sweep = async () => {
    try {
      const r = await storage.sweep(now() - config.retention.days * 86_400_000, config.retention.deleteAfterDownload);
      if (r.objects || r.tells) log.info('retention sweep', r);
    } catch (e) {
      log.error('retention sweep failed', { error: (e as Error).message });
    }
  };
  const sweeper = setInterval(() => void sweep(), config.retention.sweepIntervalMs);
  sweeper.unref();

  // Descriptor
  ctx.registration = registrationAuthority(config, nodeIdOf(operatorKey.publicKey), log);
  const host = config.directory.publicHost ?? config.listen.host;
  const describe = () => makeDescriptor(config, operatorKey, { host, port: config.directory.publicPort ?? port, startedAt, now: now() });
  let descriptor = describe();
  let publisher: NodeJS.Timeout | undefined;
  if (config.directory.url) {
    const url = config.directory.url;
    const publish = async () => {
      descriptor = describe();
      try {
        await publishDescriptor(url, descriptor);
        log.debug('descriptor published', { directory: url });
      } catch (e) {
        log.warn('descriptor publish failed', { directory: url, error: (e as Error).message });
      }
    };
    await publish();
    publisher = setInterval(() => void publish(), config.directory.publishIntervalMs);
    publisher.unref();
  }

  log.info('qmail-server listening', {
    host: config.listen.host,
    port,
    raidaId: config.raidaId,
    backend: storage.backend,
    dataDir: config.dataDir,
    nodeId: descriptor.nodeId,
  });

  let closed: Promise<void> | null = null;
  return {
    host: config.listen.host,
    port,
    config,
    storage,
    get descriptor() {
      return descriptor;
    },
    stats: () => ({
      connections: sockets.size,
      requests,
      errors,
      parkedPings: ctx.tells.parked,
      refused: table.refused,
      evicted: table.evicted,
      timedOut,
      reservedBytes: memory.used,
    }),
    close() {
      closed ??= (async () => {
        clearInterval(sweeper);
        if (publisher) clearInterval(publisher);
        signalClosing();
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.end();
        if (inflight > 0) await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, 2000))]);
        for (const s of sockets) s.destroy();
        await stopped;
        replays.close();
        purse?.close();
        await storage.close();
        log.info('qmail-server stopped', { port });
      })();
      return closed;
    },
  };
}

export { RaidaError };
