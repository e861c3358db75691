import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { encodeRegister } from '../../shared/qmail/index.js';
import { startServer, type RunningServer } from '../node.js';
import { RaidaConnection, freshChallenge, newIdentity, preambleFor } from '../testing/client.js';
import {
  MAX_RANGE,
  TransferCommand as T,
  decodeCapabilities,
  decodeGetRangeAnswer,
  decodeObjectInfo,
  decodeReceived,
  encodeGetRange,
  encodeObjectRef,
  encodePutRange,
} from './transfer.js';

let node: RunningServer;
let dir: string;
let c: RaidaConnection;
const owner = newIdentity(7001);
const other = newIdentity(7002);
const PAGE = 256 * 1024;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-ot-'));
  node = await startServer({ dataDir: dir, storage: { durable: false }, log: { level: 'silent' } });
  c = await RaidaConnection.open(node.port);
  for (const id of [owner, other])
    await c.call(
      Group.QMAIL,
      QMailCommand.REGISTER,
      encodeRegister({ preamble: preambleFor(id, new Uint8Array(16)), newAn: id.an, flags: 0 }),
    );
});
afterAll(async () => {
  c?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('object transfer (EXT-OT, commands 76-81)', () => {
  it('advertises capabilities, resumes an interrupted upload, reads ranges, deletes by owner only', async () => {
    const caps = decodeCapabilities((await c.call(Group.QMAIL, T.CAPABILITIES, new Uint8Array([...freshChallenge(), 0x3e, 0x3e]))).payload);
    expect(caps).toMatchObject({ version: 1, pageSize: PAGE, maxRange: MAX_RANGE });
    const guid = new Uint8Array(randomBytes(16));
    const ref = (id = owner) => ({ preamble: preambleFor(id), guid, fileType: 10 });
    const obj = new Uint8Array(randomBytes(5 * PAGE + 777));
    const put = (offset: number, len: number, id = owner) =>
      c.call(
        Group.QMAIL,
        T.PUT_RANGE,
        encodePutRange({ ...ref(id), total: obj.length, offset, data: obj.subarray(offset, offset + len) }),
        { key: id },
      );
    // first session sends pages 0-1 and 4, then "drops"
    expect((await put(0, 2 * PAGE)).status).toBe(Status.SUCCESS);
    expect((await put(4 * PAGE, PAGE)).status).toBe(Status.SUCCESS);
    // misaligned or short chunks are refused
    expect((await put(100, PAGE)).status).toBe(Status.INVALID_PARAMETER);
    expect((await put(2 * PAGE, PAGE - 1)).status).toBe(Status.INVALID_PARAMETER);
    expect((await put(0, PAGE, other)).status).toBe(Status.FILE_EXISTS);
    // resume: ask what arrived, send the rest
    const got = decodeReceived((await c.call(Group.QMAIL, T.RECEIVED, encodeObjectRef(ref()), { key: owner })).payload);
    expect(got.pages).toEqual([0, 1, 4]);
    let info = decodeObjectInfo((await c.call(Group.QMAIL, T.OBJECT_INFO, encodeObjectRef(ref(other)))).payload);
    expect(info).toMatchObject({ complete: false, pages: 3 });
    const missing = [0, 1, 2, 3, 4, 5].filter((p) => !got.pages.includes(p));
    for (const p of missing) expect((await put(p * PAGE, Math.min(PAGE, obj.length - p * PAGE))).status).toBe(Status.SUCCESS);
    info = decodeObjectInfo((await c.call(Group.QMAIL, T.OBJECT_INFO, encodeObjectRef(ref(other)))).payload);
    expect(info).toMatchObject({ complete: true, pages: 6, size: obj.length });
    // byte ranges, unaligned, across pages
    const r = decodeGetRangeAnswer(
      (await c.call(Group.QMAIL, T.GET_RANGE, encodeGetRange({ ...ref(other), offset: PAGE - 5, length: 1000 }))).payload,
    );
    expect(r.offset).toBe(PAGE - 5);
    expect(Buffer.from(r.data).equals(Buffer.from(obj.subarray(PAGE - 5, PAGE + 995)))).toBe(true);
    const tail = decodeGetRangeAnswer(
      (await c.call(Group.QMAIL, T.GET_RANGE, encodeGetRange({ ...ref(other), offset: obj.length - 10, length: MAX_RANGE }))).payload,
    );
    expect(tail.data.length).toBe(10);
    expect((await c.call(Group.QMAIL, T.GET_RANGE, encodeGetRange({ ...ref(other), offset: obj.length + 1, length: 1 }))).status).toBe(
      Status.FILE_NOT_EXIST,
    );
    // deletion is the owner's
    expect((await c.call(Group.QMAIL, T.DELETE, encodeObjectRef(ref(other)), { key: other })).status).toBe(Status.INVALID_AN);
    expect((await c.call(Group.QMAIL, T.DELETE, encodeObjectRef(ref()), { key: owner })).status).toBe(Status.SUCCESS);
    expect((await c.call(Group.QMAIL, T.OBJECT_INFO, encodeObjectRef(ref()))).status).toBe(Status.FILE_NOT_EXIST);
    expect((await c.call(Group.QMAIL, 82, encodeObjectRef(ref()))).status).toBe(Status.INVALID_COMMAND);
  });
});
