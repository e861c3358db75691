// A small RAIDA client for tests and benchmarks: one TCP connection, requests answered in
// order. Builds requests with shared/raida and decodes responses the same way clients do.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Encryption, HEADER_LENGTH, decodeResponseHeader, makeChallenge, type DecodedResponse } from '../../shared/raida/index.js';
import { makePreamble, type Preamble } from '../../shared/qmail/index.js';
import { decodeResponseFast, encodeRequestFast } from '../wire/envelope.js';

export interface Identity {
  denomination: number;
  serial: number;
  /** This server's AN for the mailbox. */
  an: Uint8Array;
}

export class RaidaConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    const fail = (e: Error) => {
      this.closedError = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RaidaConnection> {
    return new Promise((res, rej) => {
      const s = connect({ port, host, noDelay: true });
      const t = setTimeout(() => {
        s.destroy();
        rej(new Error('connect timeout'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        res(new RaidaConnection(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
    });
  }

  private drain(): void {
    while (this.waiters.length && this.buf.length >= HEADER_LENGTH) {
      const h = decodeResponseHeader(new Uint8Array(this.buf.subarray(0, HEADER_LENGTH)));
      const total = HEADER_LENGTH + h.bodySize;
      if (this.buf.length < total) return;
      const frame = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      this.waiters.shift()!.resolve(Buffer.from(frame));
    }
  }

  /** Send raw bytes and wait for the next response frame. */
  raw(packet: Uint8Array, timeoutMs = 15_000): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('response timeout')), timeoutMs);
      this.waiters.push({
        resolve: (b) => {
          clearTimeout(t);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.socket.write(packet);
      this.drain();
    });
  }

  /** Send a request body (challenge first, 3E 3E last) and decode the answer. */
  /** `key` encrypts under that AN: AES-CTR (type 1) by default, the authenticated envelope (EXT-8) with `aead`. */
  async call(
    group: number,
    command: number,
    body: Uint8Array,
    opts: { key?: Identity; aead?: boolean; raidaId?: number; timeoutMs?: number } = {},
  ): Promise<DecodedResponse> {
    const req = encodeRequestFast({
      raidaId: opts.raidaId ?? 0,
      group,
      command,
      body,
      ...(opts.key
        ? {
            encryption: opts.aead ? Encryption.AEAD : Encryption.AN,
            key: opts.key.an,
            keyDenomination: opts.key.denomination,
            keySerial: opts.key.serial,
          }
        : {}),
    });
    const res = await this.raw(req.packet, opts.timeoutMs);
    return decodeResponseFast(req, new Uint8Array(res));
  }

  close(): void {
    this.socket.destroy();
  }
}

export function freshChallenge(): Uint8Array {
  return makeChallenge(new Uint8Array(randomBytes(12)));
}

export function preambleFor(id: Identity, an: Uint8Array = id.an): Preamble {
  return makePreamble({ challenge: freshChallenge(), denomination: id.denomination, serial: id.serial, an });
}

export function newIdentity(serial: number, denomination = 0): Identity {
  return { denomination, serial, an: new Uint8Array(randomBytes(16)) };
}
