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
    clusterId: i, sender: { coinGroup: 6, denomination: 1, serial: 9 }, timestamp: i, tellType: 0, fileGroupGuid: new Uint8Array(16).fill(i), totalSize: 30,
    servers: [], lockerKey: new Uint8Array(16), manifest: [{ fileType: 0, size: 10, crc32: i }, { fileType: 1, size: 20, crc32: i }],
  })),
};
let oldNode: RunningServer;
const seen: number[] = [];

beforeAll(async () => {
  oldNode = await startServer(
    { dataDir: join(tmp.path, 'old'), storage: { durable: false }, log: { level: 'silent' }, legacy: { mailboxes: [{ denomination: 0, serial: 4711, an: Buffer.from(an).toString('hex') }] } },
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
      expect(peeked.tells.map((t) => t.manifest.map((m) => m.crc32))).toEqual([[1, 1], [2, 2]]);
      const conn = pool.dedicated(endpoint);
      try {
        const pinged = await client.ping(me, conn, 1000);
        expect(pinged.tells.length).toBe(2);
      } finally {
        conn.close();
      }
      // Each call: first with the capability byte (53 + 2), then without (52 + 2).
      expect(seen).toEqual([55, 54, 55, 54]);
    } finally {
      pool.closeAll();
    }
  });
});
