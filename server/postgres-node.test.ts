// The node itself (not just its storage) on PostgreSQL: register, upload, tell, peek, download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Group, QMailCommand, Status } from '../shared/raida/index.js';
import {
  decodeDownloadResponse,
  decodeTellList,
  encodeDownload,
  encodePeek,
  encodeRegister,
  encodeTell,
  encodeUpload,
} from '../shared/qmail/index.js';
import { startServer, type RunningServer } from './index.js';
import { createDatabase, startPostgres, type PgCluster } from './testing/postgres.js';
import { RaidaConnection, newIdentity, preambleFor } from './testing/client.js';

let pg: PgCluster;
let node: RunningServer;
let dir: string;

beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'qmail-pgnode-'));
  const url = await createDatabase(pg, 'node_' + randomBytes(4).toString('hex'));
  node = await startServer({
    dataDir: dir,
    storage: { backend: 'postgres', postgresUrl: url, durable: false },
    log: { level: 'silent' },
    drd: { defaultTellFee: 0 },
  });
}, 60_000);
afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('qmail-server on PostgreSQL', () => {
  it('serves the mail cycle', async () => {
    expect(node.storage.backend).toBe('postgres');
    const c = await RaidaConnection.open(node.port);
    const a = newIdentity(11);
    const b = newIdentity(12);
    for (const id of [a, b])
      expect(
        (
          await c.call(
            Group.QMAIL,
            QMailCommand.REGISTER,
            encodeRegister({ preamble: preambleFor(id, new Uint8Array(16)), newAn: id.an, flags: 0 }),
          )
        ).status,
      ).toBe(Status.SUCCESS);
    const g = new Uint8Array(randomBytes(16));
    const data = new Uint8Array(randomBytes(300_000));
    expect(
      (
        await c.call(
          Group.QMAIL,
          QMailCommand.UPLOAD,
          encodeUpload({
            preamble: preambleFor(a),
            fileGroupGuid: g,
            lockerCode: new Uint8Array(8),
            fileType: 1,
            storageDuration: 0,
            data,
          }),
          { key: a },
        )
      ).status,
    ).toBe(Status.SUCCESS);
    const tell = encodeTell({
      preamble: preambleFor(a),
      fileGroupGuid: g,
      timestamp: 1,
      tellType: 0,
      beaconPaymentLocker: new Uint8Array(8),
      recipients: [
        { addressType: 0, address: { coinGroup: 6, denomination: b.denomination, serial: b.serial }, lockerKey: new Uint8Array(16) },
      ],
      servers: [{ stripeIndex: 0, stripeType: 0, raidaId: 0, ipv4: new Uint8Array([127, 0, 0, 1]), port: node.port }],
      manifest: [],
    });
    expect((await c.call(Group.QMAIL, QMailCommand.TELL, tell, { key: a })).status).toBe(Status.SUCCESS);
    const list = decodeTellList(
      (await c.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(b), since: 0 }), { key: b })).payload,
      { manifest: false },
    );
    expect(list.tells[0]!.fileGroupGuid).toEqual(g);
    const pages: Uint8Array[] = [];
    for (let p = 0; p < 2; p++)
      pages.push(
        decodeDownloadResponse(
          (
            await c.call(
              Group.QMAIL,
              QMailCommand.DOWNLOAD,
              encodeDownload({ preamble: preambleFor(b), fileGroupGuid: g, fileType: 1, version: 1, bytesPerPage: 0, page: p }),
            )
          ).payload,
        ).data,
      );
    expect(Buffer.concat(pages).equals(Buffer.from(data))).toBe(true);
    c.close();
  });
});
