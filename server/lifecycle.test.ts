// Node lifecycle rules on a small, fast-configured node: ping timeout, retention and
// download-then-delete, connection limit, idle timeout, shutdown with a parked ping.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Group, QMailCommand, Status } from '../shared/raida/index.js';
import { decodeTellList, encodeDownload, encodePing, encodeRegister, encodeTell, encodeUpload } from '../shared/qmail/index.js';
import { encodePostUser } from '../shared/drd/index.js';
import { DrdCommand } from '../shared/raida/index.js';
import { startServer } from './node.js';
import { RaidaConnection, freshChallenge, newIdentity, preambleFor } from './testing/client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node lifecycle', () => {
  it('times out pings, sweeps by age and after download, limits and idles out connections, shuts down with a parked ping', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmail-life-'));
    const node = await startServer({
      dataDir: dir,
      storage: { durable: false },
      log: { level: 'silent' },
      limits: { pingMaxWaitMs: 200, maxConnections: 3, idleTimeoutMs: 300 },
      retention: { days: 1.5 / 86_400, sweepIntervalMs: 1000, deleteAfterDownload: true },
    });
    try {
      const me = newIdentity(9);
      let c = await RaidaConnection.open(node.port);
      await c.call(
        Group.QMAIL,
        QMailCommand.REGISTER,
        encodeRegister({ preamble: preambleFor(me, new Uint8Array(16)), newAn: me.an, flags: 0 }),
      );
      // an empty ping answers after pingMaxWaitMs with an empty list
      const t0 = Date.now();
      const empty = await c.call(Group.QMAIL, QMailCommand.PING, encodePing({ preamble: preambleFor(me) }), { key: me });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
      expect(decodeTellList(empty.payload).tells).toEqual([]);
      // download-then-delete and age-based retention
      const up = (g: Uint8Array) =>
        c.call(
          Group.QMAIL,
          QMailCommand.UPLOAD,
          encodeUpload({
            preamble: preambleFor(me),
            fileGroupGuid: g,
            lockerCode: new Uint8Array(8),
            fileType: 1,
            storageDuration: 0,
            data: new Uint8Array(100),
          }),
          { key: me },
        );
      const down = (g: Uint8Array) =>
        c.call(
          Group.QMAIL,
          QMailCommand.DOWNLOAD,
          encodeDownload({ preamble: preambleFor(me), fileGroupGuid: g, fileType: 1, version: 1, bytesPerPage: 0, page: 0 }),
        );
      const read = new Uint8Array(randomBytes(16));
      const kept = new Uint8Array(randomBytes(16));
      expect((await up(read)).status).toBe(Status.SUCCESS);
      expect((await down(read)).status).toBe(Status.SUCCESS);
      await sleep(1600);
      c.close();
      c = await RaidaConnection.open(node.port); // the old one idled out (idleTimeoutMs 300)
      expect((await up(kept)).status).toBe(Status.SUCCESS);
      expect((await down(read)).status).toBe(Status.FILE_NOT_EXIST); // downloaded → swept
      await sleep(3200);
      expect(await node.storage.getObject({ guid: kept, fileType: 1 })).toBeNull(); // aged out
      // connection limit: with 3 open, the 4th takes the slot of the one idle the longest
      c.close();
      const extra = [await RaidaConnection.open(node.port), await RaidaConnection.open(node.port), await RaidaConnection.open(node.port)];
      await sleep(20);
      const fourth = await RaidaConnection.open(node.port);
      await sleep(100);
      expect(extra[0]!.socket.destroyed || extra[0]!.socket.readableEnded).toBe(true);
      expect(extra.slice(1).some((e) => e.socket.destroyed || e.socket.readableEnded)).toBe(false);
      expect((await fourth.call(0, 0, new Uint8Array([...freshChallenge(), 0x3e, 0x3e]))).status).toBe(Status.SUCCESS);
      fourth.close();
      // idle connections are closed
      await sleep(500);
      expect(extra.every((e) => e.socket.destroyed)).toBe(true);
      // shutdown does not wait for a parked ping's full timeout
      await sleep(50);
      const c2 = await RaidaConnection.open(node.port);
      const parked = c2.call(Group.QMAIL, QMailCommand.PING, encodePing({ preamble: preambleFor(me) }), { key: me }).catch(() => null);
      await sleep(50);
      const t1 = Date.now();
      await node.close();
      expect(Date.now() - t1).toBeLessThan(1500);
      await parked;
      c2.close();
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('charges inbox fees through the locker hook, operator cut included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmail-fee-'));
    const lockers = new Map<string, bigint>([
      ['11'.repeat(16), 3n],
      ['22'.repeat(16), 10n],
    ]);
    const collected: { fee: bigint; cut: number; serial: number }[] = [];
    const node = await startServer(
      { dataDir: dir, storage: { durable: false }, log: { level: 'silent' }, operator: { inboxFeeCut: 0.2 } },
      {
        lockers: {
          value: async (k) => lockers.get(Buffer.from(k).toString('hex')) ?? 0n,
          collect: async (_k, fee, rcpt, cut) => {
            collected.push({ fee, cut, serial: rcpt.serial });
            return { units: fee, cut: 0n };
          },
        },
      },
    );
    try {
      const c = await RaidaConnection.open(node.port);
      const [from, to] = [newIdentity(31), newIdentity(32)];
      for (const id of [from, to])
        await c.call(
          Group.QMAIL,
          QMailCommand.REGISTER,
          encodeRegister({ preamble: preambleFor(id, new Uint8Array(16)), newAn: id.an, flags: 0 }),
        );
      await c.call(
        Group.DRD,
        DrdCommand.POST_USER,
        encodePostUser({
          challenge: freshChallenge(),
          owner: to,
          an: to.an,
          fee: 5n,
          symbol1: 0,
          symbol2: 0,
          classRejection: 0,
          firstName: 'T',
          lastName: 'O',
        }),
        { key: to },
      );
      const tell = (lockerHex: string) =>
        encodeTell({
          preamble: preambleFor(from),
          fileGroupGuid: new Uint8Array(randomBytes(16)),
          timestamp: 1,
          tellType: 0,
          beaconPaymentLocker: new Uint8Array(8),
          recipients: [
            {
              addressType: 0,
              address: { coinGroup: 6, denomination: to.denomination, serial: to.serial },
              lockerKey: new Uint8Array(Buffer.from(lockerHex, 'hex')),
            },
          ],
          servers: [],
          manifest: [],
        });
      expect((await c.call(Group.QMAIL, QMailCommand.TELL, tell('00'.repeat(16)), { key: from })).status).toBe(Status.PAYMENT_REQUIRED);
      expect((await c.call(Group.QMAIL, QMailCommand.TELL, tell('11'.repeat(16)), { key: from })).status).toBe(Status.PAYMENT_INSUFFICIENT);
      expect((await c.call(Group.QMAIL, QMailCommand.TELL, tell('22'.repeat(16)), { key: from })).status).toBe(Status.SUCCESS);
      expect(collected).toEqual([{ fee: 5n, cut: 0.2, serial: 32 }]);
      c.close();
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
