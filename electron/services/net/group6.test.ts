// The Group 6 client asks for the Tell manifest (EXT-6) on peek and ping, and still reads
// a node from before EXT-6, which refused the capability byte and always sent manifests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Group, QMailCommand, Status } from '../../../shared/raida/index.js';
import { encodeTellList, type TellList } from '../../../shared/qmail/index.js';
import { startServer, type RunningServer } from '../../../server/index.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { ConnectionPool } from './transport.js';
import { QMailServerClient } from './group6.js';

const tmp = tempDir('qmail-group6-');
const an = new Uint8Array(randomBytes(16));
const me = { mailbox: { coinGroup: 6, denomination: 0, serial: 4711 }, an };
const list: TellList = {
  remaining: 0,
  tells: [1, 2].map((i) => ({
    clusterId: i,
    sender: { coinGroup: 6, denomination: 1, serial: 9 },
    timestamp: i,
    tellType: 0,
    fileGroupGuid: new Uint8Array(16).fill(i),
    totalSize: 30,
    servers: [],
    lockerKey: new Uint8Array(16),
    manifest: [
      { fileType: 0, size: 10, crc32: i },
      { fileType: 1, size: 20, crc32: i },
    ],
  })),
};
let oldNode: RunningServer;
const seen: number[] = [];

beforeAll(async () => {
  oldNode = await startServer(
    {
      dataDir: join(tmp.path, 'old'),
      storage: { durable: false },
      log: { level: 'silent' },
      legacy: { mailboxes: [{ denomination: 0, serial: 4711, an: Buffer.from(an).toString('hex') }] },
    },
    {
      // Peek and ping as a node from before EXT-6 answered them: a body longer than
      // preamble + since is refused, and every Tell carries its manifest.
      extend: (d) => {
        for (const cmd of [QMailCommand.PEEK, QMailCommand.PING]) {
          d.on(Group.QMAIL, cmd, async (req) => {
            seen.push(req.body.length);
            if (req.body.length > 48 + 4 + 2) return { status: Status.INVALID_PACKET_LENGTH };
            return { status: Status.SUCCESS, payload: encodeTellList(list) };
          });
        }
      },
    },
  );
});
afterAll(async () => {
  await oldNode?.close();
  tmp.remove();
});

describe('QMailServerClient and the manifest capability', () => {
  it('asks with the flag, and on refusal asks without it and reads the manifests', async () => {
    const pool = new ConnectionPool();
    const endpoint = { host: oldNode.host, port: oldNode.port, raidaId: 0 };
    try {
      const client = new QMailServerClient(pool, endpoint);
      const peeked = await client.peek(me);
      expect(peeked.tells.map((t) => t.manifest.map((m) => m.crc32))).toEqual([
        [1, 1],
        [2, 2],
      ]);
      const conn = pool.dedicated(endpoint);
      try {
        const pinged = await client.ping(me, conn, 1000);
        expect(pinged.tells.length).toBe(2);
      } finally {
        conn.close();
      }
      // The peek: first in the acknowledged mode (capability byte and an empty ack list, 54 + 2),
      // then without the byte (52 + 2); the ping no longer tries that mode here: with the
      // manifest flag only (53 + 2), then without.
      expect(seen).toEqual([56, 54, 55, 54]);
    } finally {
      pool.closeAll();
    }
  });
});

describe('QMailServerClient and the acknowledged mode (EXT-6 bit 1)', () => {
  const him = { mailbox: { coinGroup: 6, denomination: 0, serial: 4712 }, an: new Uint8Array(randomBytes(16)) };
  const notice = (i: number) =>
    encodeTellList({ remaining: 0, tells: [{ ...list.tells[0]!, fileGroupGuid: new Uint8Array(16).fill(i) }] }).subarray(8);
  const provision = [{ denomination: 0, serial: 4712, an: Buffer.from(him.an).toString('hex') }];
  const start = (name: string, bit0Only: boolean) =>
    startServer(
      {
        dataDir: join(tmp.path, name),
        storage: { durable: false },
        log: { level: 'silent' },
        limits: { pingMaxWaitMs: 500 },
        legacy: { mailboxes: provision },
      },
      {
        // A node that knows EXT-6 bit 0 only: any other capability bit is refused (198), as its decoder did.
        extend: bit0Only
          ? (d) => {
              for (const cmd of [QMailCommand.PEEK, QMailCommand.PING]) {
                const current = d.find(Group.QMAIL, cmd)!;
                d.on(Group.QMAIL, cmd, (req, ctx) =>
                  req.body.length > 54 && (req.body[52]! & ~1) !== 0
                    ? Promise.resolve({ status: Status.INVALID_PARAMETER })
                    : current(req, ctx),
                );
              }
            }
          : () => {},
      },
    );
  const guids = (l: TellList) => l.tells.map((t) => t.fileGroupGuid[0]);

  it('keeps the Tells on a node that has it until they are named, and falls back on a node that refuses the bit', async () => {
    const [fresh, older] = [await start('acknowledging', false), await start('bit0-only', true)];
    const pool = new ConnectionPool();
    try {
      for (const node of [fresh, older]) {
        for (const i of [1, 2])
          await node.storage.putTell({ denomination: 0, serial: 4712 }, { denomination: 1, serial: 9 }, notice(i), 100);
      }
      const client = new QMailServerClient(pool, { host: fresh.host, port: fresh.port, raidaId: 0 });
      const conn = pool.dedicated({ host: fresh.host, port: fresh.port, raidaId: 0 });
      const first = await client.ping(him, conn, 500);
      expect(first.acknowledged).toBe(true);
      expect(guids(first)).toEqual([2, 1]); // newest first
      // Not named yet: handed over again; named: gone.
      const again = await client.peek(him, 0, [first.tells[0]!.clusterId]);
      expect(guids(again)).toEqual([1]);
      expect((await client.ping(him, conn, 500, [again.tells[0]!.clusterId])).tells).toEqual([]);
      conn.close();

      const old = new QMailServerClient(pool, { host: older.host, port: older.port, raidaId: 0 });
      const oldConn = pool.dedicated({ host: older.host, port: older.port, raidaId: 0 });
      const consumed = await old.ping(him, oldConn, 500, [77]).finally(() => oldConn.close());
      expect(consumed.acknowledged).toBe(false);
      expect(guids(consumed)).toEqual([2, 1]);
      expect((await old.peek(him)).tells).toEqual([]); // today's mode: the ping consumed them
    } finally {
      pool.closeAll();
      await fresh.close();
      await older.close();
    }
  });
});
