// Loopback attackers for the hardening tests and the load bench. Every one is bounded in
// sockets, bytes and time, talks only to 127.0.0.1, and may use other loopback source
// addresses (127.0.0.0/8 on Linux) to stand for other hosts.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Encryption, Group, QMailCommand, encodeRequestHeader } from '../../shared/raida/index.js';
import { encodeUpload } from '../../shared/qmail/index.js';
import { encodeRequestFast } from '../wire/envelope.js';
import { RaidaConnection, freshChallenge, preambleFor, type Identity } from './client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` loopback source addresses other than 127.0.0.1: 127.0.<block>.1 … */
export function loopbackAddresses(n: number, block = 1): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.${block + (i >> 8)}.${(i & 0xff) + 1}`);
}

function open(port: number, localAddress?: string): Socket {
  const s = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  s.on('error', () => undefined);
  return s;
}

export interface SlowlorisReport {
  opened: number;
  /** Connections the node closed (deadline, slot taken, refused). */
  closedByNode: number;
  /** Connections open when the attack stopped. */
  liveAtStop: number;
}

/**
 * Slowloris: keeps `sockets` connections open, each sending a request one byte every
 * `trickleMs` and never finishing it; a connection the node closes is opened again
 * (at most `maxOpens` in all).
 */
export function slowloris(o: { port: number; sockets: number; addresses: string[]; trickleMs: number; maxOpens?: number }): {
  report: SlowlorisReport;
  live(): number;
  stop(): Promise<SlowlorisReport>;
} {
  const report: SlowlorisReport = { opened: 0, closedByNode: 0, liveAtStop: 0 };
  const maxOpens = o.maxOpens ?? o.sockets * 20;
  const live = new Set<Socket>();
  const sent = new Map<Socket, number>();
  // A header declaring a 1000-byte peek, sent forever one byte at a time (the body never completes).
  const bytes = Buffer.concat([
    Buffer.from(
      encodeRequestHeader({
        version: 1,
        splitId: 0,
        raidaId: 0,
        shardId: 0,
        group: Group.QMAIL,
        command: QMailCommand.PEEK,
        coinId: 6,
        bitfield: 1,
        packetIndex: 0,
        packetCount: 1,
        encryption: 0,
        keyDenomination: 0,
        keySerial: 0,
        bodyLength: 1000,
        nonce: new Uint8Array(8),
      }),
    ),
    Buffer.alloc(1000, 0x41),
  ]);
  let stopping = false;
  const start = (i: number) => {
    if (stopping || report.opened >= maxOpens) return;
    report.opened++;
    const s = open(o.port, o.addresses[i % o.addresses.length]);
    s.once('connect', () => {
      live.add(s);
      sent.set(s, 1);
      s.write(bytes.subarray(0, 1));
    });
    s.once('close', () => {
      live.delete(s);
      sent.delete(s);
      if (stopping) return;
      report.closedByNode++;
      setTimeout(() => start(i), o.trickleMs);
    });
  };
  for (let i = 0; i < o.sockets; i++) start(i);
  const tick = setInterval(() => {
    for (const s of live) {
      const at = sent.get(s)!;
      if (at >= bytes.length) continue;
      s.write(bytes.subarray(at, at + 1));
      sent.set(s, at + 1);
    }
  }, o.trickleMs);
  return {
    report,
    live: () => live.size,
    async stop() {
      stopping = true;
      clearInterval(tick);
      report.liveAtStop = live.size;
      for (const s of live) s.destroy();
      await sleep(20);
      return report;
    },
  };
}

export interface FloodReport {
  sent: number;
  answered: number;
}

/** A flood of junk requests at about `perSecond`: random bytes, bad CRCs, unknown keys, junk Tells; one connection each. */
export function junkFlood(o: { port: number; perSecond: number; addresses: string[]; maxInFlight?: number }): {
  report: FloodReport;
  stop(): Promise<FloodReport>;
} {
  const report: FloodReport = { sent: 0, answered: 0 };
  const maxInFlight = o.maxInFlight ?? 64;
  let inFlight = 0;
  const junk = (i: number): Uint8Array => {
    switch (i % 4) {
      case 0:
        return new Uint8Array(randomBytes(40 + (i % 200)));
      case 1: {
        const p = encodeRequestFast({
          raidaId: 0,
          group: Group.QMAIL,
          command: QMailCommand.PEEK,
          body: new Uint8Array([...freshChallenge(), 0, 0, 0, 0, 0x3e, 0x3e]),
        }).packet;
        p[40] = p[40]! ^ 0xff; // challenge CRC broken
        return p;
      }
      case 2:
        // encrypted under a key coin the node does not know
        return encodeRequestFast({
          raidaId: 0,
          group: Group.QMAIL,
          command: QMailCommand.PEEK,
          body: new Uint8Array([...freshChallenge(), 0, 0, 0, 0, 0x3e, 0x3e]),
          encryption: Encryption.AN,
          key: new Uint8Array(randomBytes(16)),
          keyDenomination: 0,
          keySerial: 4_000_000_000 + i,
        }).packet;
      default: {
        // a Tell from a mailbox that is not registered here (junk Tell)
        const tell = new Uint8Array(48 + 40 + 32 + 2);
        tell.set(freshChallenge(), 0);
        tell[tell.length - 2] = 0x3e;
        tell[tell.length - 1] = 0x3e;
        return encodeRequestFast({ raidaId: 0, group: Group.QMAIL, command: QMailCommand.TELL, body: tell }).packet;
      }
    }
  };
  let stopping = false;
  const fire = () => {
    if (stopping || inFlight >= maxInFlight) return;
    inFlight++;
    const i = report.sent++;
    const s = open(o.port, o.addresses[i % o.addresses.length]);
    const t = setTimeout(() => s.destroy(), 2000);
    s.once('data', () => report.answered++);
    s.once('close', () => {
      clearTimeout(t);
      inFlight--;
    });
    s.end(junk(i));
  };
  const every = Math.max(1, Math.round(1000 / o.perSecond));
  const perTick = Math.max(1, Math.round(o.perSecond / (1000 / every)));
  const tick = setInterval(() => {
    for (let k = 0; k < perTick; k++) fire();
  }, every);
  return {
    report,
    async stop() {
      stopping = true;
      clearInterval(tick);
      for (let i = 0; i < 100 && inFlight > 0; i++) await sleep(20);
      return report;
    },
  };
}

/**
 * Memory pinning: `connections` uploads (cmd 70) each declaring `declared` body bytes and
 * sending all but the last byte, then holding. With `as`, the first 64 body bytes are a
 * valid encrypted preamble for that mailbox (an attacker with an account here); without,
 * they are an outsider's junk.
 */
export function pinMemory(o: { port: number; connections: number; addresses: string[]; declared: number; as?: Identity }): {
  sockets: Socket[];
  stop(): void;
} {
  const junk = Buffer.alloc(1024 * 1024, 0x5a);
  const sockets: Socket[] = [];
  for (let i = 0; i < o.connections; i++) {
    const s = open(o.port, o.addresses[i % o.addresses.length]);
    sockets.push(s);
    const small = o.as
      ? encodeRequestFast({
          raidaId: 0,
          group: Group.QMAIL,
          command: QMailCommand.UPLOAD,
          body: encodeUpload({
            preamble: preambleFor(o.as),
            fileGroupGuid: new Uint8Array(randomBytes(16)),
            lockerCode: new Uint8Array(8),
            fileType: 1,
            storageDuration: 0,
            data: new Uint8Array(0),
          }),
          encryption: Encryption.AN,
          key: o.as.an,
          keyDenomination: o.as.denomination,
          keySerial: o.as.serial,
        })
      : encodeRequestFast({
          raidaId: 0,
          group: Group.QMAIL,
          command: QMailCommand.UPLOAD,
          body: new Uint8Array([...freshChallenge(), ...randomBytes(80), 0x3e, 0x3e]),
        });
    const head = Buffer.from(encodeRequestHeader({ ...small.header, bodyLength: o.declared }));
    const prefix = Buffer.from(small.packet.subarray(32, 32 + 64));
    s.once('connect', () => {
      s.write(head);
      s.write(prefix);
      let left = o.declared - 64 - 1;
      const more = () => {
        while (left > 0 && !s.destroyed) {
          const n = Math.min(left, junk.length);
          left -= n;
          if (!s.write(junk.subarray(0, n))) return void s.once('drain', more);
        }
      };
      more();
    });
  }
  return {
    sockets,
    stop: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** Latency of `count` requests made by `clients` concurrent users, each request on a fresh connection when `fresh`. */
export async function measureLatencies(o: {
  port: number;
  clients: number;
  count: number;
  fresh?: boolean;
  request: (c: RaidaConnection, i: number) => Promise<number>;
  okStatus: number;
  timeoutMs?: number;
}): Promise<{ ms: number[]; failures: number; seconds: number }> {
  const ms: number[] = [];
  let failures = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      let c: RaidaConnection | null = null;
      while (next < o.count) {
        const i = next++;
        const t = performance.now();
        try {
          if (!c || o.fresh) {
            c?.close();
            c = await RaidaConnection.open(o.port, '127.0.0.1', o.timeoutMs ?? 5000);
          }
          const st = await o.request(c, i);
          if (st !== o.okStatus) failures++;
          else ms.push(performance.now() - t);
        } catch {
          failures++;
          c?.close();
          c = null;
        }
      }
      c?.close();
    }),
  );
  return { ms, failures, seconds: (performance.now() - t0) / 1000 };
}
