import { ByteReader, ByteWriter } from '../bytes/index.js';
import { type CoinRef, compareCoinRef, readPq, writePq } from '../raida/coin.js';
import type { CodecKit } from '../raida/kit.js';
import { Status } from '../raida/status.js';
import { DrdError, kit } from './errors.js';
import { checkClassRejection, checkFee, readName, readTimestamp, writeName, writeTimestamp } from './fields.js';

// DRD/1.0 §4.5, Group 16. Request bodies are given whole: challenge(16) first, 3E 3E last.

const END = new Uint8Array([0x3e, 0x3e]);
const { bodyReader, expectDone, fixed } = kit;
const check: CodecKit['check'] = kit.check;

export const ListType = { WHITE: 0, BLACK: 1 } as const;
export type ListTypeValue = (typeof ListType)[keyof typeof ListType];
/** A list holds at most 1000 entries (§4.5 list_get). */
export const MAX_LIST_ENTRIES = 1000;
/** search_users returns at most 50 records. */
export const SEARCH_LIMIT_CAP = 50;

export interface OwnerAuth {
  challenge: Uint8Array;
  owner: CoinRef;
  an: Uint8Array;
}

function writeAuth(w: ByteWriter, a: OwnerAuth): void {
  fixed(a.challenge, 16, 'challenge');
  fixed(a.an, 16, 'AN');
  w.bytes(a.challenge);
  writePq(w, a.owner);
  w.bytes(a.an);
}
function readAuth(r: ByteReader): OwnerAuth {
  const challenge = r.take(16);
  const owner = readPq(r);
  const an = r.take(16);
  return { challenge, owner, an };
}

// ---------------------------------------------------------------- user record (§4.4.1)

export interface UserProfile {
  /** Inbox fee in 1e-8 CC units. */
  fee: bigint;
  symbol1: number;
  symbol2: number;
  /** Signed −8…+6; 0 = accept all. */
  classRejection: number;
  firstName: string;
  lastName: string;
}

export interface UserRecord extends UserProfile {
  user: CoinRef;
  createdAt: number;
  updatedAt: number;
}

function writeProfile(w: ByteWriter, p: UserProfile): void {
  checkFee(p.fee);
  checkClassRejection(p.classRejection);
  w.u64(p.fee).u8(p.symbol1).u8(p.symbol2).i8(p.classRejection);
}
function readFeeSymbolsClass(r: ByteReader): Omit<UserProfile, 'firstName' | 'lastName'> {
  const raw = r.u64();
  if (raw >= 1n << 63n) throw new DrdError('bad_fee', Status.INVALID_PARAMETER, 'negative inbox fee');
  const symbol1 = r.u8();
  const symbol2 = r.u8();
  const classRejection = r.i8();
  checkClassRejection(classRejection);
  return { fee: raw, symbol1, symbol2, classRejection };
}

export function writeUserRecord(w: ByteWriter, u: UserRecord): void {
  writePq(w, u.user);
  writeProfile(w, u);
  writeTimestamp(w, u.createdAt);
  writeTimestamp(w, u.updatedAt);
  writeName(w, u.firstName, 'first name');
  writeName(w, u.lastName, 'last name');
}
export function readUserRecord(r: ByteReader): UserRecord {
  const user = readPq(r);
  const f = readFeeSymbolsClass(r);
  const createdAt = readTimestamp(r);
  const updatedAt = readTimestamp(r);
  const firstName = readName(r, 'first name');
  const lastName = readName(r, 'last name');
  return { user, ...f, createdAt, updatedAt, firstName, lastName };
}

/** get_user success payload: one record, nothing after it. */
export function encodeUserRecord(u: UserRecord): Uint8Array {
  const w = new ByteWriter(160);
  writeUserRecord(w, u);
  return w.finish();
}
export function decodeUserRecord(payload: Uint8Array): UserRecord {
  return kit.decode(() => {
    const r = new ByteReader(payload);
    const u = readUserRecord(r);
    expectDone(r, 'user record');
    return u;
  });
}

// ---------------------------------------------------------------- 140 post_user

export interface PostUser extends OwnerAuth, UserProfile {}

export function encodePostUser(p: PostUser): Uint8Array {
  const w = new ByteWriter(180);
  writeAuth(w, p);
  writeProfile(w, p);
  writeName(w, p.firstName, 'first name');
  writeName(w, p.lastName, 'last name');
  return w.bytes(END).finish();
}
export function decodePostUser(body: Uint8Array): PostUser {
  return kit.decode(() => {
    check(body.length >= 52, 'too_short', Status.INVALID_PACKET_LENGTH, `post_user needs at least 52 bytes, got ${body.length}`);
    const r = bodyReader(body, 'post_user');
    const auth = readAuth(r);
    const f = readFeeSymbolsClass(r);
    const firstName = readName(r, 'first name');
    const lastName = readName(r, 'last name');
    expectDone(r, 'post_user');
    return { ...auth, ...f, firstName, lastName };
  });
}

// ---------------------------------------------------------------- 141 get_user

export interface GetUser {
  challenge: Uint8Array;
  user: CoinRef;
}
export const GET_USER_LENGTH = 23;

export function encodeGetUser(g: GetUser): Uint8Array {
  fixed(g.challenge, 16, 'challenge');
  const w = new ByteWriter(23).bytes(g.challenge);
  writePq(w, g.user);
  return w.bytes(END).finish();
}
export function decodeGetUser(body: Uint8Array): GetUser {
  return kit.decode(() => {
    check(body.length === GET_USER_LENGTH, 'bad_length', Status.INVALID_PACKET_LENGTH, `get_user is exactly 23 bytes, got ${body.length}`);
    const r = bodyReader(body, 'get_user');
    const challenge = r.take(16);
    const user = readPq(r);
    return { challenge, user };
  });
}

// ---------------------------------------------------------------- 142 search_users

export interface SearchUsers {
  challenge: Uint8Array;
  /** 0 or > 50 is clamped to 50 by the server; sent verbatim. */
  limit: number;
  firstName?: string;
  lastName?: string;
}

export function encodeSearchUsers(s: SearchUsers): Uint8Array {
  fixed(s.challenge, 16, 'challenge');
  const flags = (s.firstName !== undefined ? 1 : 0) | (s.lastName !== undefined ? 2 : 0);
  check(flags !== 0, 'empty_search', Status.INVALID_PARAMETER, 'search_users needs a first or last name');
  const w = new ByteWriter(150).bytes(s.challenge).u8(flags).u8(s.limit);
  if (s.firstName !== undefined) writeName(w, s.firstName, 'first name');
  if (s.lastName !== undefined) writeName(w, s.lastName, 'last name');
  return w.bytes(END).finish();
}
export function decodeSearchUsers(body: Uint8Array): SearchUsers {
  return kit.decode(() => {
    const r = bodyReader(body, 'search_users');
    const challenge = r.take(16);
    const flags = r.u8();
    const limit = r.u8();
    check(
      flags !== 0 && (flags & ~3) === 0,
      'empty_search',
      Status.INVALID_PARAMETER,
      `search flags ${flags}: bit 0 and/or bit 1, nothing else`,
    );
    const out: SearchUsers = { challenge, limit };
    if (flags & 1) out.firstName = readName(r, 'first name');
    if (flags & 2) out.lastName = readName(r, 'last name');
    expectDone(r, 'search_users');
    return out;
  });
}
export function effectiveSearchLimit(limit: number): number {
  return limit === 0 || limit > SEARCH_LIMIT_CAP ? SEARCH_LIMIT_CAP : limit;
}

/** search_users success payload: count(1) + records. */
export function encodeSearchResult(records: readonly UserRecord[]): Uint8Array {
  check(records.length <= SEARCH_LIMIT_CAP, 'too_many', Status.INVALID_PARAMETER, 'at most 50 records');
  const w = new ByteWriter(1 + records.length * 160).u8(records.length);
  for (const u of records) writeUserRecord(w, u);
  return w.finish();
}
export function decodeSearchResult(payload: Uint8Array): UserRecord[] {
  return kit.decode(() => {
    const r = new ByteReader(payload);
    const n = r.u8();
    check(n <= SEARCH_LIMIT_CAP, 'too_many', Status.INVALID_PARAMETER, `search result count ${n} exceeds 50`);
    const out: UserRecord[] = [];
    for (let i = 0; i < n; i++) out.push(readUserRecord(r));
    expectDone(r, 'search result');
    return out;
  });
}

// ---------------------------------------------------------------- 143 delete_user, 146 list_get

export const OWNER_ONLY_LENGTH = 39;

export function encodeOwnerOnly(a: OwnerAuth): Uint8Array {
  const w = new ByteWriter(39);
  writeAuth(w, a);
  return w.bytes(END).finish();
}
export function decodeOwnerOnly(body: Uint8Array, what = 'delete_user/list_get'): OwnerAuth {
  return kit.decode(() => {
    check(body.length === OWNER_ONLY_LENGTH, 'bad_length', Status.INVALID_PACKET_LENGTH, `${what} is exactly 39 bytes, got ${body.length}`);
    return readAuth(bodyReader(body, what));
  });
}
export const encodeDeleteUser = encodeOwnerOnly;
export const decodeDeleteUser = (body: Uint8Array): OwnerAuth => decodeOwnerOnly(body, 'delete_user');
export const encodeListGet = encodeOwnerOnly;
export const decodeListGet = (body: Uint8Array): OwnerAuth => decodeOwnerOnly(body, 'list_get');

// ---------------------------------------------------------------- 144 list_set, 145 list_remove

export interface ListEntry {
  listed: CoinRef;
  type: ListTypeValue;
}
export interface ListSet extends OwnerAuth {
  entries: ListEntry[];
}
export interface ListRemove extends OwnerAuth {
  entries: CoinRef[];
}

function checkType(t: number): asserts t is ListTypeValue {
  check(t === 0 || t === 1, 'bad_list_type', Status.INVALID_PARAMETER, `list type must be 0 (white) or 1 (black), got ${t}`);
}

export function encodeListSet(s: ListSet): Uint8Array {
  check(s.entries.length <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, 'at most 1000 entries');
  const w = new ByteWriter(41 + 6 * s.entries.length);
  writeAuth(w, s);
  for (const e of s.entries) {
    checkType(e.type);
    writePq(w, e.listed).u8(e.type);
  }
  return w.bytes(END).finish();
}
export function decodeListSet(body: Uint8Array): ListSet {
  return kit.decode(() => {
    const r = bodyReader(body, 'list_set');
    const auth = readAuth(r);
    check(
      r.remaining % 6 === 0,
      'not_divisible',
      Status.COINS_NOT_DIV,
      `list_set entry region of ${r.remaining} bytes is not a multiple of 6`,
    );
    check(r.remaining / 6 <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, 'at most 1000 entries');
    const entries: ListEntry[] = [];
    while (!r.done) {
      const listed = readPq(r);
      const type = r.u8();
      checkType(type);
      entries.push({ listed, type });
    }
    return { ...auth, entries };
  });
}

export function encodeListRemove(s: ListRemove): Uint8Array {
  check(s.entries.length <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, 'at most 1000 entries');
  const w = new ByteWriter(41 + 5 * s.entries.length);
  writeAuth(w, s);
  for (const e of s.entries) writePq(w, e);
  return w.bytes(END).finish();
}
export function decodeListRemove(body: Uint8Array): ListRemove {
  return kit.decode(() => {
    const r = bodyReader(body, 'list_remove');
    const auth = readAuth(r);
    check(
      r.remaining % 5 === 0,
      'not_divisible',
      Status.COINS_NOT_DIV,
      `list_remove entry region of ${r.remaining} bytes is not a multiple of 5`,
    );
    check(r.remaining / 5 <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, 'at most 1000 entries');
    const entries: CoinRef[] = [];
    while (!r.done) entries.push(readPq(r));
    return { ...auth, entries };
  });
}

/** list_get success payload: count(2 BE) + entries sorted by DN then SN, no repeats. */
export function encodeListGetResult(entries: readonly ListEntry[]): Uint8Array {
  check(entries.length <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, 'at most 1000 entries');
  const w = new ByteWriter(2 + 6 * entries.length).u16(entries.length);
  entries.forEach((e, i) => {
    checkType(e.type);
    if (i > 0)
      check(
        compareCoinRef(entries[i - 1]!.listed, e.listed) < 0,
        'unsorted',
        Status.INVALID_PARAMETER,
        'list entries must be sorted by DN then SN without repeats',
      );
    writePq(w, e.listed).u8(e.type);
  });
  return w.finish();
}
export function decodeListGetResult(payload: Uint8Array): ListEntry[] {
  return kit.decode(() => {
    const r = new ByteReader(payload);
    const n = r.u16();
    check(n <= MAX_LIST_ENTRIES, 'too_many', Status.INVALID_PARAMETER, `list count ${n} exceeds 1000`);
    check(
      r.remaining === n * 6,
      'length_mismatch',
      Status.INVALID_PACKET_LENGTH,
      `list of ${n} entries needs ${n * 6} bytes, got ${r.remaining}`,
    );
    const out: ListEntry[] = [];
    for (let i = 0; i < n; i++) {
      const listed = readPq(r);
      const type = r.u8();
      checkType(type);
      if (i > 0)
        check(
          compareCoinRef(out[i - 1]!.listed, listed) < 0,
          'unsorted',
          Status.INVALID_PARAMETER,
          'list entries must be sorted by DN then SN without repeats',
        );
      out.push({ listed, type });
    }
    return out;
  });
}

/** Sort helper for servers building a list_get answer. */
export function sortListEntries(entries: ListEntry[]): ListEntry[] {
  return [...entries].sort((a, b) => compareCoinRef(a.listed, b.listed));
}
