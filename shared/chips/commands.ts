// Bodies of the coin commands as the RAIDA C server reads them (docs/protocol.md, "Chips"):
// Group 1 detect (10) / pown (20), Group 2 get ticket (40) / validate ticket (50) / find (60) /
// fix (80), Group 8 locker put (82) / peek (83) /
// remove (84), Group 9 available serials (91) / break (92) / join (93), and our mint (98).
// Request bodies are whole: challenge (16) first, 3E 3E last. Coins go as DN(1) SN(4 BE).
import { md5 } from '@noble/hashes/legacy.js';
import { ByteReader, ByteWriter } from '../bytes/index.js';
import { type CoinRef, isValidDenomination, readPq, writePq } from '../raida/coin.js';
import { Status } from '../raida/status.js';
import { kit } from './errors.js';

const END = Uint8Array.from([0x3e, 0x3e]);
const fail: (code: string, status: number, message: string) => never = kit.fail;
export const AN = 16;
/** Most coins one request may carry (the C server bounds them by its packet size). */
export const MAX_COINS_PER_REQUEST = 2000;
/** Break and join always trade one coin for ten of the next denomination down. */
export const CHANGE_COUNT = 10;
/** Locker keys end FF FF FF FF (the C server refuses any other as a put's new AN). */
export const LOCKER_KEY_SUFFIX = Uint8Array.from([0xff, 0xff, 0xff, 0xff]);

export interface CoinAn extends CoinRef {
  an: Uint8Array;
}
export interface CoinAnPan extends CoinAn {
  pan: Uint8Array;
}

export function isLockerKey(key: Uint8Array): boolean {
  return key.length === AN && key[12] === 0xff && key[13] === 0xff && key[14] === 0xff && key[15] === 0xff;
}

function checkCoin(c: CoinRef, i: number): void {
  if (!isValidDenomination(c.denomination) || !Number.isInteger(c.serial) || c.serial < 0 || c.serial > 0xffffffff) {
    fail('bad_coin', Status.INVALID_SN_OR_DENOMINATION, `coin ${i}: ${c.denomination}.${c.serial} is not a coin`);
  }
}

/** Splits a whole body into challenge and payload, checking the terminator. */
function open(body: Uint8Array, what: string): { challenge: Uint8Array; r: ByteReader; payload: number } {
  if (body.length < 18) fail('truncated', Status.INVALID_PACKET_LENGTH, `${what}: body of ${body.length} bytes`);
  if (body[body.length - 2] !== 0x3e || body[body.length - 1] !== 0x3e)
    fail('missing_terminator', Status.INVALID_EOF, `${what}: body does not end with 3E 3E`);
  const r = new ByteReader(body.subarray(0, body.length - 2));
  const challenge = r.take(16).slice();
  return { challenge, r, payload: body.length - 18 };
}

function count(payload: number, fixed: number, each: number, what: string): number {
  const rest = payload - fixed;
  if (rest < each) fail('truncated', Status.INVALID_PACKET_LENGTH, `${what}: no coin`);
  if (rest % each !== 0) fail('coins_not_div', Status.COINS_NOT_DIV, `${what}: ${rest} bytes are not whole coins of ${each}`);
  const n = rest / each;
  if (n > MAX_COINS_PER_REQUEST) fail('too_many_coins', Status.TOO_MANY_COINS, `${what}: ${n} coins in one request`);
  return n;
}

function readCoin(r: ByteReader, i: number): CoinRef {
  const c = readPq(r);
  checkCoin(c, i);
  return c;
}

function unique(coins: readonly CoinRef[], what: string): void {
  const seen = new Set<string>();
  for (const c of coins) {
    const k = `${c.denomination}.${c.serial}`;
    if (seen.has(k)) fail('duplicate_coin', Status.INVALID_PARAMETER, `${what}: coin ${k} twice`);
    seen.add(k);
  }
}

function writer(challenge: Uint8Array, size: number): ByteWriter {
  kit.fixed(challenge, 16, 'challenge');
  return new ByteWriter(size + 18).bytes(challenge);
}

function writeCoins<T extends CoinRef>(w: ByteWriter, coins: readonly T[], fields: (keyof T)[], what: string): void {
  if (coins.length === 0 || coins.length > MAX_COINS_PER_REQUEST)
    fail('bad_field', Status.INVALID_PARAMETER, `${what}: 1..${MAX_COINS_PER_REQUEST} coins`);
  unique(coins, what);
  coins.forEach((c, i) => {
    checkCoin(c, i);
    writePq(w, c);
    for (const f of fields) {
      kit.fixed(c[f] as Uint8Array, AN, `${what} coin ${i} ${String(f)}`);
      w.bytes(c[f] as Uint8Array);
    }
  });
}

// ---- detect (10) and pown (20), find (60) ----

export interface DetectRequest {
  challenge: Uint8Array;
  coins: CoinAn[];
}
export function encodeDetect(d: DetectRequest): Uint8Array {
  const w = writer(d.challenge, d.coins.length * 21);
  writeCoins(w, d.coins, ['an'], 'detect');
  return w.bytes(END).finish();
}
export function decodeDetect(body: Uint8Array): DetectRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'detect');
    const n = count(payload, 0, 21, 'detect');
    const coins = Array.from({ length: n }, (_, i) => ({ ...readCoin(r, i), an: r.take(AN).slice() }));
    unique(coins, 'detect');
    return { challenge, coins };
  });
}

/** Pown and find carry the same coins: each with its AN and a proposed AN. */
export interface PownRequest {
  challenge: Uint8Array;
  coins: CoinAnPan[];
}
export function encodePown(p: PownRequest): Uint8Array {
  const w = writer(p.challenge, p.coins.length * 37);
  writeCoins(w, p.coins, ['an', 'pan'], 'pown');
  return w.bytes(END).finish();
}
export function decodePown(body: Uint8Array): PownRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'pown');
    const n = count(payload, 0, 37, 'pown');
    const coins = Array.from({ length: n }, (_, i) => ({ ...readCoin(r, i), an: r.take(AN).slice(), pan: r.take(AN).slice() }));
    unique(coins, 'pown');
    return { challenge, coins };
  });
}
export const encodeFind = encodePown;
export const decodeFind = decodePown;

/** Find's per-coin answer byte. */
export const FindResult = { NEITHER: 0, AN: 1, PAN: 2 } as const;

// ---- answers: pass bits, find bytes ----

/** One bit per coin, coin i at bit i % 8 of byte i / 8 (least significant first). */
export function encodeBits(pass: readonly boolean[], length = Math.ceil(pass.length / 8)): Uint8Array {
  const out = new Uint8Array(length);
  pass.forEach((p, i) => {
    if (p) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}
export function decodeBits(bytes: Uint8Array, n: number): boolean[] {
  if (bytes.length < Math.ceil(n / 8))
    fail('truncated', Status.INVALID_PACKET_LENGTH, `${n} coins need ${Math.ceil(n / 8)} bytes of results, got ${bytes.length}`);
  return Array.from({ length: n }, (_, i) => ((bytes[i >> 3]! >> (i & 7)) & 1) === 1);
}

// ---- locker put (82), peek (83), remove (84) ----

export interface LockerPutRequest {
  challenge: Uint8Array;
  coins: CoinRef[];
  /** XOR of the coins' current ANs on this server. */
  sum: Uint8Array;
  /** The locker key, which becomes every coin's AN here; ends FF FF FF FF. */
  key: Uint8Array;
}
export function encodeLockerPut(p: LockerPutRequest): Uint8Array {
  kit.fixed(p.sum, AN, 'sum');
  if (!isLockerKey(p.key)) fail('bad_locker_key', Status.INVALID_PAN, 'a locker key is 16 bytes ending FF FF FF FF');
  const w = writer(p.challenge, p.coins.length * 5 + 32);
  writeCoins(w, p.coins, [], 'locker put');
  return w.bytes(p.sum).bytes(p.key).bytes(END).finish();
}
export function decodeLockerPut(body: Uint8Array): LockerPutRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'locker put');
    const n = count(payload, 32, 5, 'locker put');
    const coins = Array.from({ length: n }, (_, i) => readCoin(r, i));
    unique(coins, 'locker put');
    const sum = r.take(AN).slice();
    const key = r.take(AN).slice();
    if (!isLockerKey(key)) fail('bad_locker_key', Status.INVALID_PAN, 'a locker key ends FF FF FF FF');
    return { challenge, coins, sum, key };
  });
}

export interface LockerPeekRequest {
  challenge: Uint8Array;
  key: Uint8Array;
}
export function encodeLockerPeek(p: LockerPeekRequest): Uint8Array {
  kit.fixed(p.key, AN, 'locker key');
  return writer(p.challenge, AN).bytes(p.key).bytes(END).finish();
}
export function decodeLockerPeek(body: Uint8Array): LockerPeekRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'locker peek');
    if (payload !== AN) fail('bad_length', Status.INVALID_PACKET_LENGTH, `locker peek: body of ${body.length} bytes, expected 34`);
    return { challenge, key: r.take(AN).slice() };
  });
}

/** The coins a locker holds (peek's answer): DN SN each. */
export function encodeCoinList(coins: readonly CoinRef[]): Uint8Array {
  const w = new ByteWriter(coins.length * 5);
  coins.forEach((c, i) => {
    checkCoin(c, i);
    writePq(w, c);
  });
  return w.finish();
}
export function decodeCoinList(bytes: Uint8Array): CoinRef[] {
  return kit.decode(() => {
    if (bytes.length % 5 !== 0) fail('coins_not_div', Status.COINS_NOT_DIV, `${bytes.length} bytes are not whole coins of 5`);
    const r = new ByteReader(bytes);
    const coins = Array.from({ length: bytes.length / 5 }, (_, i) => readCoin(r, i));
    unique(coins, 'coin list');
    return coins;
  });
}

export interface LockerRemoveRequest {
  challenge: Uint8Array;
  key: Uint8Array;
  /** Each coin to take out, with the new AN it gets here. */
  coins: CoinAn[];
}
export function encodeLockerRemove(p: LockerRemoveRequest): Uint8Array {
  kit.fixed(p.key, AN, 'locker key');
  const w = writer(p.challenge, AN + p.coins.length * 21).bytes(p.key);
  writeCoins(w, p.coins, ['an'], 'locker remove');
  return w.bytes(END).finish();
}
export function decodeLockerRemove(body: Uint8Array): LockerRemoveRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'locker remove');
    const n = count(payload, AN, 21, 'locker remove');
    const key = r.take(AN).slice();
    const coins = Array.from({ length: n }, (_, i) => ({ ...readCoin(r, i), an: r.take(AN).slice() }));
    unique(coins, 'locker remove');
    return { challenge, key, coins };
  });
}

// ---- change: available serials (91), break (92), join (93) ----

export const ChangeOp = { BREAK: 1, JOIN: 2 } as const;

export interface AvailableSnsRequest {
  challenge: Uint8Array;
  session: number;
  op: number;
  /** The coin's denomination: serials come back for one below (break) or one above (join). */
  denomination: number;
}
export function encodeAvailableSns(a: AvailableSnsRequest): Uint8Array {
  return writer(a.challenge, 6).u32(a.session).u8(a.op).i8(a.denomination).bytes(END).finish();
}
export function decodeAvailableSns(body: Uint8Array): AvailableSnsRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'available serials');
    if (payload !== 6) fail('bad_length', Status.INVALID_PACKET_LENGTH, `available serials: body of ${body.length} bytes, expected 24`);
    const session = r.u32();
    const op = r.u8();
    if (op !== ChangeOp.BREAK && op !== ChangeOp.JOIN) fail('bad_op', Status.INVALID_PARAMETER, `operation ${op}`);
    const denomination = r.i8();
    return { challenge, session, op, denomination };
  });
}
/** The answer: the target denomination and up to 64 free serials reserved for the session. */
export function encodeAvailableSnsResult(denomination: number, serials: readonly number[]): Uint8Array {
  const w = new ByteWriter(1 + serials.length * 4).i8(denomination);
  for (const s of serials) w.u32(s);
  return w.finish();
}
export function decodeAvailableSnsResult(bytes: Uint8Array): { denomination: number; serials: number[] } {
  return kit.decode(() => {
    if (bytes.length < 1 || (bytes.length - 1) % 4 !== 0)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `${bytes.length} bytes are not a denomination and serials`);
    const r = new ByteReader(bytes);
    const denomination = r.i8();
    return { denomination, serials: Array.from({ length: (bytes.length - 1) / 4 }, () => r.u32()) };
  });
}

/**
 * Break: `coin` (with its AN) becomes the ten `parts` one denomination down (with their new
 * ANs). Join: the ten `parts` (with their ANs) become `coin` (with its new AN). Same layout.
 */
export interface ChangeRequest {
  challenge: Uint8Array;
  session: number;
  coin: CoinAn;
  parts: CoinAn[];
}
export function encodeChange(c: ChangeRequest): Uint8Array {
  if (c.parts.length !== CHANGE_COUNT) fail('bad_field', Status.INVALID_PARAMETER, `change trades one coin for ${CHANGE_COUNT}`);
  kit.fixed(c.coin.an, AN, 'coin AN');
  checkCoin(c.coin, 0);
  const w = writer(c.challenge, 25 + CHANGE_COUNT * 21).u32(c.session);
  writePq(w, c.coin).bytes(c.coin.an);
  writeCoins(w, c.parts, ['an'], 'change');
  return w.bytes(END).finish();
}
export function decodeChange(body: Uint8Array): ChangeRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'change');
    if (payload !== 25 + CHANGE_COUNT * 21)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `change: body of ${body.length} bytes, expected 253`);
    const session = r.u32();
    const coin = { ...readCoin(r, 0), an: r.take(AN).slice() };
    const parts = Array.from({ length: CHANGE_COUNT }, (_, i) => ({ ...readCoin(r, i + 1), an: r.take(AN).slice() }));
    unique([coin, ...parts], 'change');
    for (const p of parts)
      if (p.denomination !== coin.denomination - 1)
        fail('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, `change: parts are one denomination below ${coin.denomination}`);
    return { challenge, session, coin, parts };
  });
}

// ---- mint (98, our test-network extension) ----

export interface MintRequest {
  challenge: Uint8Array;
  /** The node operator's mint secret (config `chips.mintKey`). */
  mintKey: Uint8Array;
  coins: CoinAn[];
}
export function encodeMint(m: MintRequest): Uint8Array {
  kit.fixed(m.mintKey, AN, 'mint key');
  const w = writer(m.challenge, AN + m.coins.length * 21).bytes(m.mintKey);
  writeCoins(w, m.coins, ['an'], 'mint');
  return w.bytes(END).finish();
}
export function decodeMint(body: Uint8Array): MintRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'mint');
    const n = count(payload, AN, 21, 'mint');
    const mintKey = r.take(AN).slice();
    const coins = Array.from({ length: n }, (_, i) => ({ ...readCoin(r, i), an: r.take(AN).slice() }));
    unique(coins, 'mint');
    for (const c of coins)
      if (c.denomination === 11) fail('bad_denomination', Status.INVALID_SN_OR_DENOMINATION, 'key coins are not minted as money');
    return { challenge, mintKey, coins };
  });
}

// ---- healing: get ticket (40), validate ticket (50), fix (80) ----

/** Ticket slots in a fix body: one per RAIDA index of a full network, 0 where none is sent. */
export const FIX_TICKET_SLOTS = 25;
/** A fix body without coins: challenge, PG, 25 tickets, terminator (the C server's 134). */
const FIX_FIXED = 16 + 16 + FIX_TICKET_SLOTS * 4 + 2;

function checkRaida(i: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= FIX_TICKET_SLOTS) fail('bad_raida', Status.WRONG_RAIDA, `${what}: RAIDA index ${i}`);
}
function checkTicket(t: number, what: string): void {
  if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) fail('bad_field', Status.INVALID_PARAMETER, `${what}: ticket ${t} is not 32 bits`);
}

/**
 * Get ticket: the coins (with their ANs here) that the server vouches for, and `target`, the
 * RAIDA index of the one server that may claim the ticket (our extension: the C server's body
 * has no target, so whoever learnt a ticket could spend it on any server).
 */
export interface GetTicketRequest {
  challenge: Uint8Array;
  target: number;
  coins: CoinAn[];
}
export function encodeGetTicket(t: GetTicketRequest): Uint8Array {
  checkRaida(t.target, 'get ticket');
  const w = writer(t.challenge, 1 + t.coins.length * 21).u8(t.target);
  writeCoins(w, t.coins, ['an'], 'get ticket');
  return w.bytes(END).finish();
}
export function decodeGetTicket(body: Uint8Array): GetTicketRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'get ticket');
    const n = count(payload, 1, 21, 'get ticket');
    const target = r.u8();
    checkRaida(target, 'get ticket');
    const coins = Array.from({ length: n }, (_, i) => ({ ...readCoin(r, i), an: r.take(AN).slice() }));
    unique(coins, 'get ticket');
    return { challenge, target, coins };
  });
}

/** Get ticket's answer: ALL_PASS carries the ticket alone, MIXED the pass bits then the ticket. */
export function encodeTicketAnswer(pass: readonly boolean[], ticket: number): Uint8Array {
  checkTicket(ticket, 'ticket answer');
  const all = pass.every(Boolean);
  const bits = all ? new Uint8Array(0) : encodeBits(pass);
  return new ByteWriter(bits.length + 4).bytes(bits).u32(ticket).finish();
}
export function decodeTicketAnswer(payload: Uint8Array, n: number, mixed: boolean): { pass: boolean[]; ticket: number } {
  return kit.decode(() => {
    const bits = mixed ? Math.ceil(n / 8) : 0;
    if (payload.length !== bits + 4)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `ticket answer: ${payload.length} bytes, expected ${bits + 4}`);
    const pass = mixed ? decodeBits(payload.subarray(0, bits), n) : Array<boolean>(n).fill(true);
    const ticket = new ByteReader(payload.subarray(bits)).u32();
    if (ticket === 0) fail('bad_field', Status.INVALID_PARAMETER, 'ticket answer: ticket 0');
    return { pass, ticket };
  });
}

/** The layout of our validate ticket request and its signed answer (shared/chips/votes.ts). */
export const VALIDATE_VERSION = 1;
/** The fixing server's fresh random nonce in a validate ticket request; the vote is signed over it. */
export const VALIDATE_NONCE = 32;
/** Validate ticket's body: challenge, claimer, ticket, version, nonce, terminator. */
export const VALIDATE_BODY = 16 + 1 + 4 + 1 + VALIDATE_NONCE + 2;

/**
 * Validate ticket (server to server): the claimer's RAIDA index and the ticket, as the C server
 * reads them, then our version byte (1) and the claimer's nonce, which the answer's signature
 * covers (docs/protocol.md C25, C30); 56 bytes. The C server's 23-byte body (no nonce) is refused:
 * an answer to it could not be authenticated, so no server of ours would count it.
 */
export interface ValidateTicketRequest {
  challenge: Uint8Array;
  claimer: number;
  ticket: number;
  nonce: Uint8Array;
}
export function encodeValidateTicket(v: ValidateTicketRequest): Uint8Array {
  checkRaida(v.claimer, 'validate ticket');
  checkTicket(v.ticket, 'validate ticket');
  kit.fixed(v.nonce, VALIDATE_NONCE, 'validate ticket nonce');
  return writer(v.challenge, VALIDATE_BODY - 18)
    .u8(v.claimer)
    .u32(v.ticket)
    .u8(VALIDATE_VERSION)
    .bytes(v.nonce)
    .bytes(END)
    .finish();
}
export function decodeValidateTicket(body: Uint8Array): ValidateTicketRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'validate ticket');
    if (payload !== VALIDATE_BODY - 18)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `validate ticket: body of ${body.length} bytes, expected ${VALIDATE_BODY}`);
    const claimer = r.u8();
    checkRaida(claimer, 'validate ticket');
    const ticket = r.u32();
    const version = r.u8();
    if (version !== VALIDATE_VERSION) fail('bad_version', Status.INVALID_PARAMETER, `validate ticket: version ${version}`);
    return { challenge, claimer, ticket, nonce: r.take(VALIDATE_NONCE).slice() };
  });
}

/**
 * Fix: the coins to heal here, the PG their new ANs derive from (`fixAn`), and per RAIDA index
 * the ticket that server issued (0: none). The C server's layout.
 */
export interface FixRequest {
  challenge: Uint8Array;
  coins: CoinRef[];
  pg: Uint8Array;
  /** Exactly 25: tickets[i] was issued by RAIDA i, 0 where there is none. */
  tickets: number[];
}
export function encodeFix(f: FixRequest): Uint8Array {
  kit.fixed(f.pg, AN, 'PG');
  if (f.tickets.length !== FIX_TICKET_SLOTS) fail('bad_field', Status.INVALID_PARAMETER, `fix: ${FIX_TICKET_SLOTS} ticket slots`);
  f.tickets.forEach((t) => checkTicket(t, 'fix'));
  const w = writer(f.challenge, f.coins.length * 5 + AN + FIX_TICKET_SLOTS * 4);
  writeCoins(w, f.coins, [], 'fix');
  w.bytes(f.pg);
  for (const t of f.tickets) w.u32(t);
  return w.bytes(END).finish();
}
export function decodeFix(body: Uint8Array): FixRequest {
  return kit.decode(() => {
    const { challenge, r, payload } = open(body, 'fix');
    if (body.length < FIX_FIXED + 5) fail('truncated', Status.INVALID_PACKET_LENGTH, `fix: body of ${body.length} bytes, at least 139`);
    const n = count(payload, AN + FIX_TICKET_SLOTS * 4, 5, 'fix');
    const coins = Array.from({ length: n }, (_, i) => readCoin(r, i));
    unique(coins, 'fix');
    const pg = r.take(AN).slice();
    const tickets = Array.from({ length: FIX_TICKET_SLOTS }, () => r.u32());
    return { challenge, coins, pg, tickets };
  });
}

/** A fixed coin's new AN on server `raidaId`: MD5(raidaId · DN · SN (4, BE) · PG), as the C server computes it. */
export function fixAn(raidaId: number, c: CoinRef, pg: Uint8Array): Uint8Array {
  checkRaida(raidaId, 'fix AN');
  checkCoin(c, 0);
  kit.fixed(pg, AN, 'PG');
  return md5(new ByteWriter(22).u8(raidaId).i8(c.denomination).u32(c.serial).bytes(pg).finish());
}
