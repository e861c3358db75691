// The client's sealed envelope (EXT-8) against a node whose clock is off: the node refuses
// the stale request and tells its clock under our AN; the client corrects and asks again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Group, HEADER_LENGTH, QMailCommand, Status, Encryption } from '../../../shared/raida/index.js';
import { encodePeek, makePreamble } from '../../../shared/qmail/index.js';
import { startServer, type RunningServer } from '../../../server/index.js';
import { RaidaConnection, freshChallenge } from '../../../server/testing/client.js';
import { encodeRequestFast } from '../../../server/wire/envelope.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { ConnectionPool } from './transport.js';
import { QMailServerClient } from './group6.js';

const tmp = tempDir('qmail-transport-');
const an = new Uint8Array(randomBytes(16));
const me = { mailbox: { coinGroup: 6, denomination: 0, serial: 4712 }, an };
const SKEW = 20 * 60_000;
let node: RunningServer;
const pool = new ConnectionPool();

beforeAll(async () => {
  node = await startServer(
    {
      dataDir: join(tmp.path, 'n'),
      storage: { durable: false },
      log: { level: 'silent' },
      legacy: { mailboxes: [{ denomination: 0, serial: 4712, an: Buffer.from(an).toString('hex') }] },
    },
    { now: () => Date.now() + SKEW },
  );
});
afterAll(async () => {
  pool.closeAll();
  await node?.close();
  tmp.remove();
});

describe('sealed envelope and clocks', () => {
  it("a stale request is refused with the node's clock, sealed; the client corrects and succeeds", async () => {
    const c = await RaidaConnection.open(node.port);
    const body = encodePeek({ preamble: makePreamble({ challenge: freshChallenge(), denomination: 0, serial: 4712, an }), since: 0 });
    const stale = await c.call(Group.QMAIL, QMailCommand.PEEK, body, { key: { denomination: 0, serial: 4712, an }, aead: true });
    expect(stale.status).toBe(Status.INVALID_PARAMETER);
    expect(stale.authenticated).toBe(true);
    const theirs = Number(new DataView(stale.payload.buffer, stale.payload.byteOffset, 8).getBigUint64(0));
    expect(Math.abs(theirs - (Date.now() + SKEW))).toBeLessThan(5000);
    // Sealed with their clock, the same request goes through; its copy does not, and tells no clock.
    const req = encodeRequestFast({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.PEEK,
      body,
      encryption: Encryption.AEAD,
      key: an,
      keyDenomination: 0,
      keySerial: 4712,
      now: theirs,
    });
    expect((await c.raw(req.packet))[2]).toBe(Status.SUCCESS);
    const again = await c.raw(req.packet);
    expect(again[2]).toBe(Status.INVALID_PARAMETER);
    expect(again.length - HEADER_LENGTH).toBe(16 + 2); // a tag, no payload
    c.close();

    const client = new QMailServerClient(pool, { host: '127.0.0.1', port: node.port, raidaId: 0 });
    expect((await client.peek(me)).tells).toEqual([]);
  });
});
