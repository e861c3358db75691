// CloudCoin coin files. Format 9 is what the running client writes (its heal module:
// 32-byte file header, then per coin a 7-byte coin header and 25 ANs, 400 more bytes of PANs
// when the state flag says so); the older `.bin` (format 1, the client's locker module) and
// the JSON `.stack` are read for import. Every decoder keeps every byte it read, so
// encode(decode(x)) is x; every malformed input ends in a ChipsError.
import { ByteReader, ByteWriter, fromHex, toHex } from '../bytes/index.js';
import { type CoinRef, isValidDenomination } from '../raida/coin.js';
import { Status } from '../raida/status.js';
import { kit } from './errors.js';
import { POWN_NIBBLE, type PownLetter, oldPownLetter, pownLetter, readNibbles, writeNibbles } from './pown.js';

export const RAIDA_SLOTS = 25;
export const AN_LENGTH = 16;
export const FILE_HEADER_LENGTH = 32;
export const COIN_HEADER_LENGTH = 7;
export const COIN_BODY_LENGTH = RAIDA_SLOTS * AN_LENGTH;
/** A one-coin format 9 file without PANs. */
export const SINGLE_COIN_FILE_LENGTH = FILE_HEADER_LENGTH + COIN_HEADER_LENGTH + COIN_BODY_LENGTH;
export const FORMAT_9 = 9;
export const FORMAT_OLD_BIN = 1;
export const CLOUDCOIN_COIN_ID = 6;
/** Header bytes 16..31 of a many-coin file: the spec's bytes, "Live Free Or Die". */
export const MANY_COIN_MOTTO = Uint8Array.from([
  0x4c, 0x69, 0x76, 0x65, 0x20, 0x46, 0x72, 0x65, 0x65, 0x20, 0x4f, 0x72, 0x20, 0x44, 0x69, 0x65,
]);
/** Marker in the low nibble after the 25 result nibbles of a one-coin header. */
const POWN_PAD_NIBBLE = 0x9;
const MAX_STACK_CHARS = 4 << 20;
const MAX_STACK_COINS = 10_000;

/** A coin with an AN per slot (25 in a file; a network of n servers uses the first n). */
export interface FileCoin extends CoinRef {
  split: number;
  shard: number;
  ans: Uint8Array[];
  /** Proposed ANs, present when the file's state flag has its low bit set. */
  pans?: Uint8Array[];
}

export interface CoinFile {
  format: typeof FORMAT_9;
  cloudId: number;
  coinId: number;
  experimental: number;
  encryption: number;
  passwordHash: Uint8Array;
  state: number;
  /** Header bytes 16..31: a one-coin file's result nibbles, marker and task id; else the motto. */
  tail: Uint8Array;
  coins: FileCoin[];
  /** Bytes after the last coin that round the file up to a multiple of 32. */
  padding: Uint8Array;
}

const fail: (code: string, status: number, message: string) => never = kit.fail;
const hasPans = (state: number): boolean => (state & 1) === 1;
const coinSize = (pans: boolean): number => COIN_HEADER_LENGTH + COIN_BODY_LENGTH * (pans ? 2 : 1);

function readAns(r: ByteReader): Uint8Array[] {
  return Array.from({ length: RAIDA_SLOTS }, () => r.take(AN_LENGTH).slice());
}

function checkDenomination(d: number, at: string): void {
  if (!isValidDenomination(d))
    fail('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, `${at}: denomination ${d} is not a CloudCoin denomination`);
}

function checkUnique(coins: readonly CoinRef[]): void {
  const seen = new Set<string>();
  for (const c of coins) {
    const k = `${c.denomination}:${c.serial}`;
    if (seen.has(k)) fail('duplicate_coin', Status.INVALID_PARAMETER, `coin ${k} appears twice in one file`);
    seen.add(k);
  }
}

/** Where the coin bytes must end and how much padding may follow, for `count` coins. */
function checkLength(total: number, count: number, pans: boolean): number {
  const end = FILE_HEADER_LENGTH + count * coinSize(pans);
  const pad = total - end;
  if (pad < 0) fail('truncated', Status.INVALID_PACKET_LENGTH, `file holds ${total} bytes, ${count} coin(s) need ${end}`);
  if (pad > 0 && (pad >= 32 || total % 32 !== 0))
    fail('trailing_bytes', Status.INVALID_PACKET_LENGTH, `${pad} byte(s) after the last coin are not padding to a multiple of 32`);
  return end;
}

export function decodeCoinFile(bytes: Uint8Array): CoinFile {
  return kit.decode(() => {
    if (bytes.length < FILE_HEADER_LENGTH)
      fail('truncated', Status.INVALID_PACKET_LENGTH, `a coin file has a ${FILE_HEADER_LENGTH}-byte header, got ${bytes.length} bytes`);
    const r = new ByteReader(bytes);
    const format = r.u8();
    if (format !== FORMAT_9) fail('bad_format', Status.INVALID_PARAMETER, `file format ${format}, expected ${FORMAT_9}`);
    const cloudId = r.u8();
    const coinId = r.u16();
    const experimental = r.u8();
    const encryption = r.u8();
    if (encryption !== 0) fail('encrypted_file', Status.INVALID_ENCRYPTION, `encrypted coin files (type ${encryption}) are not read`);
    const count = r.u16();
    if (count === 0) fail('no_coins', Status.INVALID_PARAMETER, 'the header counts no coin');
    const passwordHash = r.take(7).slice();
    const state = r.u8();
    const tail = r.take(16).slice();
    const pans = hasPans(state);
    const end = checkLength(bytes.length, count, pans);
    const coins: FileCoin[] = [];
    for (let i = 0; i < count; i++) {
      const split = r.u8();
      const shard = r.u8();
      const denomination = r.i8();
      checkDenomination(denomination, `coin ${i}`);
      const serial = r.u32();
      const ans = readAns(r);
      coins.push(pans ? { split, shard, denomination, serial, ans, pans: readAns(r) } : { split, shard, denomination, serial, ans });
    }
    checkUnique(coins);
    return { format: FORMAT_9, cloudId, coinId, experimental, encryption, passwordHash, state, tail, coins, padding: bytes.slice(end) };
  });
}

function writeAns(w: ByteWriter, ans: readonly Uint8Array[], what: string): void {
  if (ans.length !== RAIDA_SLOTS) fail('bad_field', Status.INVALID_PARAMETER, `${what}: ${RAIDA_SLOTS} slots, got ${ans.length}`);
  for (const an of ans) {
    kit.fixed(an, AN_LENGTH, what);
    w.bytes(an);
  }
}

export function encodeCoinFile(f: CoinFile): Uint8Array {
  const pans = hasPans(f.state);
  if (f.coins.length === 0 || f.coins.length > 0xffff) fail('bad_field', Status.INVALID_PARAMETER, 'a coin file holds 1..65535 coins');
  if (f.encryption !== 0) fail('encrypted_file', Status.INVALID_ENCRYPTION, 'encrypted coin files are not written');
  kit.fixed(f.passwordHash, 7, 'password hash');
  kit.fixed(f.tail, 16, 'header tail');
  checkUnique(f.coins);
  const w = new ByteWriter(FILE_HEADER_LENGTH + f.coins.length * coinSize(pans) + f.padding.length);
  w.u8(FORMAT_9)
    .u8(f.cloudId)
    .u16(f.coinId)
    .u8(f.experimental)
    .u8(f.encryption)
    .u16(f.coins.length)
    .bytes(f.passwordHash)
    .u8(f.state)
    .bytes(f.tail);
  f.coins.forEach((c, i) => {
    checkDenomination(c.denomination, `coin ${i}`);
    if (pans !== (c.pans !== undefined))
      fail('bad_field', Status.INVALID_PARAMETER, `coin ${i}: PANs must be present exactly when the state flag says so`);
    w.u8(c.split).u8(c.shard).i8(c.denomination).u32(c.serial);
    writeAns(w, c.ans, `coin ${i} ANs`);
    if (c.pans) writeAns(w, c.pans, `coin ${i} PANs`);
  });
  w.bytes(f.padding);
  const out = w.finish();
  checkLength(out.length, f.coins.length, pans);
  return out;
}

/** The 25 result letters of a one-coin file (many-coin files carry none). */
export function filePown(f: CoinFile): string | undefined {
  if (f.coins.length !== 1) return undefined;
  return readNibbles(f.tail, RAIDA_SLOTS).map(pownLetter).join('');
}

/** A coin as the wallet hands it to a file: its ANs and, optionally, its last results. */
export interface OutCoin extends CoinRef {
  ans: Uint8Array[];
  pans?: Uint8Array[];
  pown?: string;
}

function toSlots(ans: readonly Uint8Array[]): Uint8Array[] {
  if (ans.length > RAIDA_SLOTS) fail('bad_field', Status.INVALID_PARAMETER, `at most ${RAIDA_SLOTS} ANs, got ${ans.length}`);
  return Array.from({ length: RAIDA_SLOTS }, (_, i) => ans[i] ?? new Uint8Array(AN_LENGTH));
}

/**
 * A format 9 file laid out as the running client lays it out: cloud 1, coin id 6, no
 * encryption, zero password hash, state 1 with PANs else 0; one coin: its results, the 0x9
 * marker and 99 99 99; many coins: the motto. A network of n < 25 servers fills n slots.
 */
export function makeCoinFile(coins: readonly OutCoin[]): CoinFile {
  if (coins.length === 0) fail('no_coins', Status.INVALID_PARAMETER, 'nothing to write');
  const withPans = coins[0]!.pans !== undefined;
  const tail = new Uint8Array(16);
  if (coins.length === 1) {
    const pown = (coins[0]!.pown ?? '').padEnd(RAIDA_SLOTS, 'u');
    writeNibbles(
      tail,
      [...pown.slice(0, RAIDA_SLOTS)].map((ch) => POWN_NIBBLE[ch as PownLetter] ?? POWN_NIBBLE.u),
    );
    tail[12] = (tail[12]! & 0xf0) | POWN_PAD_NIBBLE;
    tail.set([0x99, 0x99, 0x99], 13);
  } else tail.set(MANY_COIN_MOTTO);
  return {
    format: FORMAT_9,
    cloudId: 1,
    coinId: CLOUDCOIN_COIN_ID,
    experimental: 0,
    encryption: 0,
    passwordHash: new Uint8Array(7),
    state: withPans ? 1 : 0,
    tail,
    padding: new Uint8Array(0),
    coins: coins.map((c) => {
      const base = { split: 0, shard: 0, denomination: c.denomination, serial: c.serial, ans: toSlots(c.ans) };
      return c.pans ? { ...base, pans: toSlots(c.pans) } : base;
    }),
  };
}

// ---- the older `.bin` (format 1) ----

/** One coin of a format 1 file: split, denomination, serial, a reserved byte, 25 ANs. */
export interface OldBinCoin extends CoinRef {
  split: number;
  reserved: number;
  ans: Uint8Array[];
}
export interface OldBinFile {
  format: typeof FORMAT_OLD_BIN;
  /** The whole 32-byte header, kept as read; its token count (bytes 8-9) matches `coins`. */
  header: Uint8Array;
  coins: OldBinCoin[];
}

export function decodeOldBin(bytes: Uint8Array): OldBinFile {
  return kit.decode(() => {
    if (bytes.length < FILE_HEADER_LENGTH)
      fail('truncated', Status.INVALID_PACKET_LENGTH, `a coin file has a ${FILE_HEADER_LENGTH}-byte header, got ${bytes.length} bytes`);
    const r = new ByteReader(bytes);
    const header = r.take(FILE_HEADER_LENGTH).slice();
    if (header[0] !== FORMAT_OLD_BIN) fail('bad_format', Status.INVALID_PARAMETER, `file format ${header[0]}, expected ${FORMAT_OLD_BIN}`);
    if (header[4] !== 0) fail('encrypted_file', Status.INVALID_ENCRYPTION, `encrypted coin files (type ${header[4]}) are not read`);
    const count = (header[8]! << 8) | header[9]!;
    if (count === 0) fail('no_coins', Status.INVALID_PARAMETER, 'the header counts no coin');
    const need = FILE_HEADER_LENGTH + count * coinSize(false);
    if (bytes.length !== need)
      fail(
        bytes.length < need ? 'truncated' : 'trailing_bytes',
        Status.INVALID_PACKET_LENGTH,
        `file holds ${bytes.length} bytes, ${count} coin(s) need ${need}`,
      );
    const coins: OldBinCoin[] = [];
    for (let i = 0; i < count; i++) {
      const split = r.u8();
      const denomination = r.i8();
      checkDenomination(denomination, `coin ${i}`);
      const serial = r.u32();
      const reserved = r.u8();
      coins.push({ split, denomination, serial, reserved, ans: readAns(r) });
    }
    checkUnique(coins);
    return { format: FORMAT_OLD_BIN, header, coins };
  });
}

export function encodeOldBin(f: OldBinFile): Uint8Array {
  kit.fixed(f.header, FILE_HEADER_LENGTH, 'header');
  if (f.header[0] !== FORMAT_OLD_BIN || f.header[4] !== 0)
    fail('bad_format', Status.INVALID_PARAMETER, 'not an unencrypted format 1 header');
  if (((f.header[8]! << 8) | f.header[9]!) !== f.coins.length || f.coins.length === 0)
    fail('bad_field', Status.INVALID_PARAMETER, 'header token count does not match the coins');
  checkUnique(f.coins);
  const w = new ByteWriter(FILE_HEADER_LENGTH + f.coins.length * coinSize(false)).bytes(f.header);
  f.coins.forEach((c, i) => {
    checkDenomination(c.denomination, `coin ${i}`);
    w.u8(c.split).i8(c.denomination).u32(c.serial).u8(c.reserved);
    writeAns(w, c.ans, `coin ${i} ANs`);
  });
  return w.finish();
}

// ---- the JSON `.stack` ----

/**
 * Legacy CloudCoin (network 1) had no denomination field: the serial's range gave it. Only
 * the ranges worth a power of ten have a RAIDA denomination: 1 → 0 and 100 → 2.
 */
export function legacyDenomination(serial: number): number {
  if (serial >= 1 && serial <= 2_097_152) return 0;
  if (serial >= 6_291_457 && serial <= 14_680_064) return 2;
  const old = serial <= 4_194_304 ? 5 : serial <= 6_291_456 ? 25 : 250;
  return fail(
    'legacy_denomination',
    Status.INVALID_SN_OR_DENOMINATION,
    `legacy serial ${serial} is a ${old}-note, which has no power-of-ten denomination`,
  );
}

export interface StackCoin extends CoinRef {
  ans: Uint8Array[];
  pown: string;
}

const isIntIn = (v: number, lo: number, hi: number): boolean => Number.isSafeInteger(v) && v >= lo && v <= hi;

function stackInt(v: unknown, what: string, lo: number, hi: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,10}$/.test(v) ? Number(v) : NaN;
  if (!isIntIn(n, lo, hi)) fail('bad_field', Status.INVALID_PARAMETER, `${what} must be an integer ${lo}..${hi}`);
  return n;
}

export function decodeStack(text: string): StackCoin[] {
  return kit.decode(() => {
    if (text.length > MAX_STACK_CHARS)
      fail('too_large', Status.INVALID_PACKET_LENGTH, `a stack file of ${text.length} characters is over the limit`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail('bad_json', Status.INVALID_PARAMETER, 'a stack file is JSON');
    }
    const list = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)['cloudcoin'] : undefined;
    if (!Array.isArray(list) || list.length === 0)
      fail('no_coins', Status.INVALID_PARAMETER, 'a stack file holds a non-empty "cloudcoin" list');
    if (list.length > MAX_STACK_COINS) fail('too_large', Status.INVALID_PACKET_LENGTH, `${list.length} coins in one stack`);
    const coins = list.map((raw, i): StackCoin => {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw))
        return fail('bad_field', Status.INVALID_PARAMETER, `coin ${i} is not an object`);
      const c = raw as Record<string, unknown>;
      if (stackInt(c['nn'], `coin ${i} nn`, 0, 255) !== 1)
        fail('bad_network', Status.INVALID_CLOUD_ID, `coin ${i}: only network 1 coins are read`);
      const serial = stackInt(c['sn'], `coin ${i} sn`, 1, 16_777_216);
      const an = c['an'];
      if (!Array.isArray(an) || an.length !== RAIDA_SLOTS || !an.every((h) => typeof h === 'string' && /^[0-9a-fA-F]{32}$/.test(h))) {
        fail('bad_field', Status.INVALID_PARAMETER, `coin ${i}: "an" is ${RAIDA_SLOTS} hex strings of 32 digits`);
      }
      const pownRaw = c['pown'] ?? 'u'.repeat(RAIDA_SLOTS);
      if (typeof pownRaw !== 'string' || !/^[upbndef]{25}$/.test(pownRaw))
        fail('bad_field', Status.INVALID_PARAMETER, `coin ${i}: "pown" is 25 of u p b n d e f`);
      return { denomination: legacyDenomination(serial), serial, ans: (an as string[]).map((h) => fromHex(h)), pown: pownRaw };
    });
    checkUnique(coins);
    return coins;
  });
}

export function encodeStack(coins: readonly StackCoin[]): string {
  return JSON.stringify({
    cloudcoin: coins.map((c) => ({
      nn: '1',
      sn: String(c.serial),
      an: toSlots(c.ans).map((a) => toHex(a)),
      pown: c.pown.padEnd(RAIDA_SLOTS, 'u').slice(0, RAIDA_SLOTS),
      aoid: [],
    })),
  });
}

// ---- import: any of the three ----

export type ImportFormat = 'format9' | 'old-bin' | 'stack';

export interface ImportedCoin extends CoinRef {
  ans: Uint8Array[];
  /** Last results as the file recorded them; a new owner powns anyway. */
  pown: string;
}

/** Read a coin file of any supported kind, telling them apart by content, not by name. */
export function importCoins(bytes: Uint8Array): { format: ImportFormat; coins: ImportedCoin[] } {
  const first = bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first === 0x7b) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail('bad_json', Status.INVALID_PARAMETER, 'a stack file is UTF-8 text');
    }
    return { format: 'stack', coins: decodeStack(text) };
  }
  if (bytes[0] === FORMAT_9) {
    const f = decodeCoinFile(bytes);
    const pown = filePown(f) ?? 'u'.repeat(RAIDA_SLOTS);
    return { format: 'format9', coins: f.coins.map((c) => ({ denomination: c.denomination, serial: c.serial, ans: c.ans, pown })) };
  }
  if (bytes[0] === FORMAT_OLD_BIN) {
    const f = decodeOldBin(bytes);
    const pown =
      f.coins.length === 1 ? readNibbles(f.header.subarray(16, 29), RAIDA_SLOTS).map(oldPownLetter).join('') : 'u'.repeat(RAIDA_SLOTS);
    return { format: 'old-bin', coins: f.coins.map((c) => ({ denomination: c.denomination, serial: c.serial, ans: c.ans, pown })) };
  }
  return fail('unknown_format', Status.INVALID_PARAMETER, bytes.length === 0 ? 'empty file' : `no coin file starts with byte ${bytes[0]}`);
}
