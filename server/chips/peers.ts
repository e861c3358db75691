// The node's own client to the other coin servers of its network, for the beacon's purse
// (server/purse.ts): one short connection a request, sealed in the authenticated envelope
// (EXT-8) under the AN the caller names, an answer bounded in size and time.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Encryption, HEADER_LENGTH, decodeResponseHeader, type DecodedResponse } from '../../shared/raida/index.js';
import { decodeResponseFast, encodeRequestFast } from '../wire/envelope.js';
import type { ConnectionPool, Endpoint } from './client.js';

/** No coin answer the purse asks for comes near this (a locker peek of 2000 coins is 10 KiB). */
const MAX_ANSWER = 1 << 20;

function exchange(e: Endpoint, packet: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    let want = -1;
    const sock = connect({ host: e.host, port: e.port });
    const timer = setTimeout(() => fail(new Error(`${e.host}:${e.port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    sock.on('connect', () => sock.write(packet));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (want < 0 && got.length >= HEADER_LENGTH) {
        want = HEADER_LENGTH + decodeResponseHeader(new Uint8Array(got.subarray(0, HEADER_LENGTH))).bodySize;
        if (want > MAX_ANSWER) return fail(new Error(`${e.host}:${e.port} answered ${want} bytes`));
      }
      if (want >= 0 && got.length >= want) {
        clearTimeout(timer);
        sock.destroy();
        resolve(new Uint8Array(got.subarray(0, want)));
      }
    });
    sock.on('error', fail);
    sock.on('close', () => fail(new Error(`${e.host}:${e.port} closed the connection`)));
  });
}

export class PeerPool implements ConnectionPool {
  get(e: Endpoint) {
    return {
      async call(o: {
        group: number;
        command: number;
        body: Uint8Array;
        timeoutMs?: number;
        an?: { key: Uint8Array; denomination: number; serial: number };
      }): Promise<DecodedResponse> {
        const req = encodeRequestFast({
          raidaId: e.raidaId,
          group: o.group,
          command: o.command,
          body: o.body,
          encryption: o.an ? Encryption.AEAD : Encryption.NONE,
          random: (n) => new Uint8Array(randomBytes(n)),
          ...(o.an ? { key: o.an.key, keyDenomination: o.an.denomination, keySerial: o.an.serial } : {}),
        });
        return decodeResponseFast(req, await exchange(e, req.packet, o.timeoutMs ?? 5000));
      },
    };
  }
}
