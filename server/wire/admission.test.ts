import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Encryption, Group, QMailCommand, Status, encodeRequestHeader } from '../../shared/raida/index.js';
import { encodeUpload } from '../../shared/qmail/index.js';
import { ConnectionTable, MemoryBudget, addressKey, type Slot, type SlotState } from './admission.js';
import { FrameReader, GATE_PREFIX, bodyLimit } from './frames.js';
import { preAuthorize } from './gate.js';
import { encodeRequestFast } from './envelope.js';
import { newIdentity, preambleFor } from '../testing/client.js';

const slot = (key: string, state: SlotState, since: number, log: string[]): Slot => ({
  key,
  state,
  since,
  evict: () => log.push(`${key}@${since}`),
});

describe('connection table', () => {
  it('counts IPv4 (also mapped) by address and IPv6 by /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('takes the slot longest without progress, never one being answered, else refuses', () => {
    const evicted: string[] = [];
    const t = new ConnectionTable(3, 2);
    expect(t.admit(slot('a', 'busy', 1, evicted))).toBe(true);
    expect(t.admit(slot('a', 'receiving', 2, evicted))).toBe(true);
    // per-address cap: a's oldest non-busy slot goes
    expect(t.admit(slot('a', 'new', 3, evicted))).toBe(true);
    expect(evicted).toEqual(['a@2']);
    expect(t.admit(slot('b', 'idle', 10, evicted))).toBe(true); // room left: nobody goes
    expect(evicted).toEqual(['a@2']);
    // global cap full: the one longest without progress goes, whatever its state
    expect(t.admit(slot('c', 'receiving', 20, evicted))).toBe(true);
    expect(evicted).toEqual(['a@2', 'a@3']);
    expect(t.admit(slot('d', 'new', 30, evicted))).toBe(true);
    expect(evicted).toEqual(['a@2', 'a@3', 'b@10']);
    expect(t.admit(slot('e', 'idle', 40, evicted))).toBe(true);
    expect(evicted.at(-1)).toBe('c@20');
    expect(t.size).toBe(3);
    const busy = new ConnectionTable(1, 1);
    expect(busy.admit(slot('x', 'busy', 1, evicted))).toBe(true);
    expect(busy.admit(slot('y', 'new', 2, evicted))).toBe(false);
    expect(busy.refused).toBe(1);
  });
});

describe('memory budget', () => {
  it('grants first come first served, waits without reading, gives up after its timeout', async () => {
    const m = new MemoryBudget(10);
    const a = m.reserve(6, 1000);
    const b = m.reserve(6, 1000);
    const c = m.reserve(3, 50); // behind b: waits even though 3 would fit
    expect(await a.granted).toBe(true);
    expect(await c.granted).toBe(false);
    a.release();
    expect(await b.granted).toBe(true);
    expect(m.used).toBe(6);
    b.release();
    b.release();
    expect(m.used).toBe(0);
    expect(await m.reserve(11, 10).granted).toBe(false);
  });
});

describe('header-first framing', () => {
  const limits = { maxBody: 4 * 1024 * 1024, preAuthBytes: 64 * 1024, legacy: true };
  const me = newIdentity(42);

  it('bounds each command, and stops a bulk body over the pre-auth budget at its first 64 bytes', () => {
    expect(bodyLimit(Group.QMAIL, QMailCommand.PEEK, limits)).toBe(64 * 1024);
    expect(bodyLimit(Group.QMAIL, QMailCommand.UPLOAD, limits)).toBe(4 * 1024 * 1024);
    expect(bodyLimit(Group.QMAIL, 60, { ...limits, legacy: false })).toBe(64 * 1024);
    const peekHeader = encodeRequestHeader({
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
      bodyLength: 64 * 1024 + 1,
      nonce: new Uint8Array(8),
    });
    const fatal = new FrameReader(limits).push(Buffer.from(peekHeader));
    expect(fatal[0]).toMatchObject({ kind: 'fatal', status: Status.INVALID_PACKET_LENGTH });

    const data = new Uint8Array(randomBytes(300_000));
    const req = encodeRequestFast({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.UPLOAD,
      body: encodeUpload({
        preamble: preambleFor(me),
        fileGroupGuid: new Uint8Array(16),
        lockerCode: new Uint8Array(8),
        fileType: 1,
        storageDuration: 0,
        data,
      }),
      encryption: Encryption.AN,
      key: me.an,
      keyDenomination: 0,
      keySerial: 42,
    });
    const r = new FrameReader(limits);
    const first = r.push(Buffer.from(req.packet.subarray(0, 32 + GATE_PREFIX + 1000)));
    expect(first).toHaveLength(1);
    expect(first[0]!.kind).toBe('gate');
    expect(r.pendingBytes).toBe(GATE_PREFIX + 1000); // the prefix and the held input, nothing more
    expect(r.push(Buffer.from(req.packet.subarray(32 + GATE_PREFIX + 1000)))).toEqual([]);
    const done = r.admit();
    expect(done).toHaveLength(1);
    expect(done[0]!.kind === 'request' && Buffer.from(done[0]!.wireBody).equals(Buffer.from(req.packet.subarray(32)))).toBe(true);
    expect(r.midFrame).toBe(false);
  });

  it('admits a bulk body only for a sender holding a mailbox AN here', async () => {
    const stored = new Map([[`0.42`, me.an]]);
    const storage = {
      getAn: async (mb: { denomination: number; serial: number }) => stored.get(`${mb.denomination}.${mb.serial}`) ?? null,
    };
    const headerOf = (p: Uint8Array) => {
      const r = new FrameReader({ ...limits, preAuthBytes: 16 * 1024 });
      const f = r.push(Buffer.from(p.subarray(0, 32 + GATE_PREFIX)));
      if (f[0]?.kind !== 'gate') throw new Error('expected a gate frame');
      return f[0].header;
    };
    const gateOf = (o: Parameters<typeof encodeRequestFast>[0]) => {
      const p = encodeRequestFast(o).packet;
      return preAuthorize(headerOf(p), p.subarray(32, 32 + GATE_PREFIX), storage);
    };
    const body = (an: Uint8Array) =>
      encodeUpload({
        preamble: preambleFor(me, an),
        fileGroupGuid: new Uint8Array(16),
        lockerCode: new Uint8Array(8),
        fileType: 1,
        storageDuration: 0,
        data: new Uint8Array(20_000),
      });
    const opts = (an: Uint8Array, key?: Uint8Array) => ({
      raidaId: 0,
      group: Group.QMAIL,
      command: QMailCommand.UPLOAD,
      body: body(an),
      ...(key ? { encryption: Encryption.AN, key, keyDenomination: 0, keySerial: 42 } : {}),
    });
    expect(await gateOf(opts(me.an, me.an))).toBeNull();
    expect(await gateOf(opts(me.an))).toBeNull(); // clear, with the right AN in the preamble
    expect(await gateOf(opts(new Uint8Array(16).fill(7)))).toBe(Status.INVALID_AN);
    expect(await gateOf(opts(me.an, new Uint8Array(16).fill(9)))).toBe(Status.INVALID_ENCRYPTION);
    // the authenticated envelope (EXT-8): checked from the GCM keystream before the tag arrives
    expect(await gateOf({ ...opts(me.an, me.an), encryption: Encryption.AEAD })).toBeNull();
    expect(await gateOf({ ...opts(me.an, new Uint8Array(16).fill(9)), encryption: Encryption.AEAD })).toBe(Status.INVALID_ENCRYPTION);
    expect(await gateOf({ ...opts(new Uint8Array(16).fill(7), me.an), encryption: Encryption.AEAD })).toBe(Status.INVALID_AN);
    stored.clear();
    expect(await gateOf(opts(me.an, me.an))).toBe(Status.ENCRYPTION_COIN_NOT_FOUND);
  });
});
