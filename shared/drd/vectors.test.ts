import { expect } from 'vitest';
import { describeVectorFiles, type Json } from '../../tests/support/codec-suite.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex, utf8 } from '../bytes/index.js';
import { isValidChallenge, makeChallenge } from '../raida/index.js';
import {
  DrdError,
  ListType,
  classRejects,
  decodeFee,
  decodeGetUser,
  decodeListGetResult,
  decodeListRemove,
  decodeListSet,
  decodePostUser,
  decodeUserRecord,
  encodeFee,
  encodeGetUser,
  encodeListGetResult,
  encodeListRemove,
  encodeListSet,
  encodePostUser,
  encodeUserRecord,
  formatCc,
  parseCc,
} from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(here, '../../../shared/conformance/qmail-open-standard/drd/vectors');
const hex = (s: string) => toHex(fromHex(s));

const challenge = fromHex('000102030405060708090a0b9270c965');
const an = fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
const owner = { denomination: 0, serial: 42 };

/** Concatenated annotated hex equals bytes_hex: the annotations and the bytes tell one story. */
function annotatedAgree(annotated: Json[] | undefined, bytesHex: string): void {
  if (!annotated) return;
  expect(annotated.map((a) => hex(a.hex)).join('')).toBe(hex(bytesHex));
}

const handlers: Record<string, (v: Json) => void> = {
  '01-fee-encoding.json': (v) => {
    for (const c of v.cases as Json[]) {
      const units = parseCc(c.cc);
      expect(units).toBe(BigInt(c.units));
      expect(toHex(encodeFee(units))).toBe(hex(c.be_int64_hex));
      expect(decodeFee(fromHex(c.be_int64_hex))).toBe(BigInt(c.units));
      expect(parseCc(formatCc(units))).toBe(units);
    }
    expect(() => parseCc(v.rejected.cc)).toThrow(expect.objectContaining({ status: 198 }));
    expect(() => encodeFee(-1n)).toThrow(expect.objectContaining({ status: 198 }));
    expect(() => decodeFee(fromHex('ffffffffffffffff'))).toThrow(DrdError);
  },
  '02-challenge.json': (v) => {
    const ch = makeChallenge(fromHex(v.random_12_hex));
    expect(toHex(ch)).toBe(v.bytes_hex);
    expect(ch.length).toBe(v.length_bytes);
    expect(`0x${toHex(ch.subarray(12)).toUpperCase()}`).toBe(v.crc32);
    expect(isValidChallenge(fromHex(v.bytes_hex))).toBe(true);
  },
  '03-get-user.json': (v) => {
    const req = v.request;
    annotatedAgree(req.annotated, req.bytes_hex);
    expect(toHex(encodeGetUser({ challenge, user: owner }))).toBe(req.bytes_hex);
    expect(decodeGetUser(fromHex(req.bytes_hex))).toEqual({ challenge, user: owner });
    expect(fromHex(req.bytes_hex).length).toBe(req.length_bytes);
    const res = v.response_user_record;
    annotatedAgree(res.annotated, res.bytes_hex);
    const record = {
      user: owner,
      fee: 1_000_000_000n,
      symbol1: 5,
      symbol2: 17,
      classRejection: 0,
      createdAt: 1_700_000_000,
      updatedAt: 1_785_312_000,
      firstName: 'Alice',
      lastName: 'Smith',
    };
    expect(toHex(encodeUserRecord(record))).toBe(res.bytes_hex);
    expect(decodeUserRecord(fromHex(res.bytes_hex))).toEqual(record);
    expect(fromHex(res.bytes_hex).length).toBe(res.length_bytes);
    expect(res.length_bytes).toBe(34 + utf8.encode('AliceSmith').length);
  },
  '04-post-user.json': (v) => {
    const min = { challenge, owner, an, fee: 0n, symbol1: 0, symbol2: 0, classRejection: 0, firstName: '', lastName: '' };
    expect(toHex(encodePostUser(min))).toBe(v.minimal_empty_names.bytes_hex);
    expect(decodePostUser(fromHex(v.minimal_empty_names.bytes_hex))).toEqual(min);
    expect(fromHex(v.minimal_empty_names.bytes_hex).length).toBe(v.minimal_empty_names.length_bytes);
    const named = { ...min, fee: 1_000_000_000n, symbol1: 5, symbol2: 17, firstName: 'Alice', lastName: 'Smith' };
    annotatedAgree(v.named_example.annotated, v.named_example.bytes_hex);
    expect(toHex(encodePostUser(named))).toBe(v.named_example.bytes_hex);
    expect(decodePostUser(fromHex(v.named_example.bytes_hex))).toEqual(named);
    expect(fromHex(v.named_example.bytes_hex).length).toBe(v.named_example.length_bytes);
  },
  '05-list-set-remove.json': (v) => {
    const typeOf = (t: string) => (t.startsWith('0x00') ? ListType.WHITE : ListType.BLACK);
    const set = {
      challenge,
      owner,
      an,
      entries: (v.list_set.entries as Json[]).map((e) => ({
        listed: { denomination: e.listed_dn, serial: e.listed_sn },
        type: typeOf(e.type),
      })),
    };
    expect(toHex(encodeListSet(set))).toBe(v.list_set.bytes_hex);
    expect(decodeListSet(fromHex(v.list_set.bytes_hex))).toEqual(set);
    expect(fromHex(v.list_set.bytes_hex).length).toBe(39 + 6 * set.entries.length);
    const rem = {
      challenge,
      owner,
      an,
      entries: (v.list_remove.entries as Json[]).map((e) => ({ denomination: e.listed_dn, serial: e.listed_sn })),
    };
    expect(toHex(encodeListRemove(rem))).toBe(v.list_remove.bytes_hex);
    expect(decodeListRemove(fromHex(v.list_remove.bytes_hex))).toEqual(rem);
    expect(fromHex(v.list_remove.bytes_hex).length).toBe(39 + 5 * rem.entries.length);
    // Not a whole number of entries → COINS_NOT_DIV (39).
    const bad = fromHex(v.list_set.bytes_hex);
    const cut = Uint8Array.from([...bad.subarray(0, bad.length - 3), 0x3e, 0x3e]);
    expect(() => decodeListSet(cut)).toThrow(expect.objectContaining({ status: 39 }));
    expect(() => decodeListSet(fromHex(v.list_remove.bytes_hex))).toThrow(expect.objectContaining({ status: 39 }));
  },
  '06-list-get.json': (v) => {
    annotatedAgree(v.response_two_entries.annotated, v.response_two_entries.bytes_hex);
    const entries = [
      { listed: { denomination: 0, serial: 100 }, type: ListType.WHITE },
      { listed: { denomination: 1, serial: 200 }, type: ListType.BLACK },
    ];
    expect(toHex(encodeListGetResult(entries))).toBe(v.response_two_entries.bytes_hex);
    expect(decodeListGetResult(fromHex(v.response_two_entries.bytes_hex))).toEqual(entries);
    expect(toHex(encodeListGetResult([]))).toBe(v.response_empty.bytes_hex);
    expect(decodeListGetResult(fromHex(v.response_empty.bytes_hex))).toEqual([]);
  },
  '07-class-rejection.json': (v) => {
    for (const row of v.table as Json[]) {
      const byte = parseInt(row.class_rejection_byte, 16);
      expect(byte > 127 ? byte - 256 : byte).toBe(row.class_rejection_signed);
      for (const dn of v.sender_denominations as number[]) {
        const expected = row.results[String(dn)] === 'REJECT';
        expect(classRejects(byte, dn), `CR ${row.class_rejection_byte} vs ${dn}`).toBe(expected);
        expect(classRejects(row.class_rejection_signed, dn)).toBe(expected);
      }
    }
  },
};

describeVectorFiles('DRD/1.0 conformance vectors', dir, handlers);
