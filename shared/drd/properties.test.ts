import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeCodecProperties, expectOnlyTyped, type CodecCase } from '../../tests/support/codec-suite.js';
import {
  DrdError,
  decodeDeleteUser,
  decodeFee,
  decodeGetUser,
  decodeListGet,
  decodeListGetResult,
  decodeListRemove,
  decodeListSet,
  decodePostUser,
  decodeSearchResult,
  decodeSearchUsers,
  decodeUserRecord,
  encodeDeleteUser,
  encodeFee,
  encodeGetUser,
  encodeListGet,
  encodeListGetResult,
  encodeListRemove,
  encodeListSet,
  encodePostUser,
  encodeSearchResult,
  encodeSearchUsers,
  encodeUserRecord,
  formatCc,
  parseCc,
  sortListEntries,
} from './index.js';
import { compareCoinRef } from '../raida/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u8 = fc.integer({ min: 0, max: 255 });
const pq = fc.record({ denomination: fc.integer({ min: -128, max: 127 }), serial: fc.integer({ min: 0, max: 0xffffffff }) });
const name = fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0') && new TextEncoder().encode(s).length <= 63);
const fee = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });
const cr = fc.integer({ min: -8, max: 6 });
const ts = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const auth = { challenge: bytes(16), owner: pq, an: bytes(16) };
const profile = { fee, symbol1: u8, symbol2: u8, classRejection: cr, firstName: name, lastName: name };
const record = fc.record({ user: pq, ...profile, createdAt: ts, updatedAt: ts });
const listType = fc.constantFrom(0 as const, 1 as const);

const codecs: CodecCase[] = [
  ['post_user', fc.record({ ...auth, ...profile }), encodePostUser, decodePostUser],
  ['get_user', fc.record({ challenge: bytes(16), user: pq }), encodeGetUser, decodeGetUser],
  ['user record', record, encodeUserRecord, decodeUserRecord],
  [
    'search_users',
    fc
      .record({
        challenge: bytes(16),
        limit: u8,
        firstName: fc.option(name, { nil: undefined }),
        lastName: fc.option(name, { nil: undefined }),
      })
      .filter((s) => s.firstName !== undefined || s.lastName !== undefined)
      .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined))),
    encodeSearchUsers,
    decodeSearchUsers,
  ],
  ['search result', fc.array(record, { maxLength: 4 }), encodeSearchResult, decodeSearchResult],
  ['delete_user', fc.record(auth), encodeDeleteUser, decodeDeleteUser],
  ['list_get', fc.record(auth), encodeListGet, decodeListGet],
  [
    'list_set',
    fc.record({ ...auth, entries: fc.array(fc.record({ listed: pq, type: listType }), { maxLength: 20 }) }),
    encodeListSet,
    decodeListSet,
  ],
  ['list_remove', fc.record({ ...auth, entries: fc.array(pq, { maxLength: 20 }) }), encodeListRemove, decodeListRemove],
  [
    'list_get result',
    fc
      .uniqueArray(fc.record({ listed: pq, type: listType }), {
        maxLength: 30,
        selector: (e) => `${e.listed.denomination}/${e.listed.serial}`,
      })
      .map(sortListEntries),
    encodeListGetResult,
    decodeListGetResult,
  ],
  ['fee', fee, encodeFee, decodeFee],
];

describeCodecProperties('DRD codecs: properties', DrdError, codecs);

describe('DRD codecs: specific cases', () => {
  it('CC amounts round-trip through text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), (units) => {
        expect(parseCc(formatCc(units))).toBe(units);
      }),
    );
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (s) => expectOnlyTyped(DrdError, () => parseCc(s))));
  });
  it('list entries sort by signed denomination, then serial', () => {
    const sorted = sortListEntries([
      { listed: { denomination: 1, serial: 1 }, type: 0 },
      { listed: { denomination: -1, serial: 9 }, type: 1 },
      { listed: { denomination: -1, serial: 2 }, type: 0 },
    ]);
    expect(sorted.map((e) => e.listed)).toEqual([
      { denomination: -1, serial: 2 },
      { denomination: -1, serial: 9 },
      { denomination: 1, serial: 1 },
    ]);
    expect(compareCoinRef({ denomination: -8, serial: 0 }, { denomination: 0, serial: 0 })).toBeLessThan(0);
  });
});
