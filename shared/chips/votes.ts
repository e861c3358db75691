// The signed vote of validate ticket (Group 2, command 50; docs/protocol.md C25, C30). A fixing
// server counts a coin for server j only when j's answer is signed by j's operator ML-DSA-65 key
// (its public key from the network file, bound to j by j's signed descriptor) over:
//
//   "qmail-validate-ticket/1\n" ‖ claimer (1) ‖ validator (1) ‖ ticket (4, BE) ‖ nonce (32)
//     ‖ count (2, BE) ‖ count × (DN (1) SN (4, BE))
//
// the nonce being the fresh random one the claimer sent with its request. So a vote cannot be
// forged by whoever rewrites the traffic between two servers or answers in a peer's place, nor
// replayed to another fix, another claimer, or for another ticket.
//
// The answer's payload (status SUCCESS): version (1) ‖ count (2, BE) ‖ count × (DN SN) ‖
// signature (3309). Its length is exact; anything else is refused with a ChipsError.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ByteReader, ByteWriter } from '../bytes/index.js';
import { verifyMlDsa65 } from '../crypto/signature.js';
import type { CoinRef } from '../raida/coin.js';
import { Status } from '../raida/status.js';
import { FIX_TICKET_SLOTS, MAX_COINS_PER_REQUEST, VALIDATE_NONCE, VALIDATE_VERSION, decodeCoinList, encodeCoinList } from './commands.js';
import { kit } from './errors.js';

const fail: (code: string, status: number, message: string) => never = kit.fail;
const DOMAIN = new TextEncoder().encode('qmail-validate-ticket/1\n');
/** An ML-DSA-65 signature. */
export const VOTE_SIGNATURE = 3309;
/** An ML-DSA-65 public key. */
export const VOTE_PUBLIC_KEY = 1952;
/** The largest validate answer: version, count, 2000 coins, signature. */
export const MAX_VALIDATE_ANSWER = 3 + MAX_COINS_PER_REQUEST * 5 + VOTE_SIGNATURE;

/** What one validating server vouches for, to one claimer, for one request. */
export interface ValidateVote {
  /** RAIDA index of the fixing server (the ticket's target). */
  claimer: number;
  /** RAIDA index of the server that issued the ticket and answers. */
  validator: number;
  ticket: number;
  /** The claimer's nonce from the request. */
  nonce: Uint8Array;
  /** The coins the ticket vouches for (DN SN). */
  coins: CoinRef[];
}

function checkVote(v: ValidateVote): void {
  for (const [i, what] of [
    [v.claimer, 'claimer'],
    [v.validator, 'validator'],
  ] as const)
    if (!Number.isInteger(i) || i < 0 || i >= FIX_TICKET_SLOTS) fail('bad_raida', Status.WRONG_RAIDA, `vote: ${what} ${i}`);
  if (!Number.isInteger(v.ticket) || v.ticket <= 0 || v.ticket > 0xffffffff)
    fail('bad_field', Status.INVALID_PARAMETER, `vote: ticket ${v.ticket}`);
  kit.fixed(v.nonce, VALIDATE_NONCE, 'vote nonce');
  if (v.coins.length > MAX_COINS_PER_REQUEST) fail('too_many_coins', Status.TOO_MANY_COINS, `vote: ${v.coins.length} coins`);
}

/** The bytes a vote's signature covers. */
export function voteMessage(v: ValidateVote): Uint8Array {
  checkVote(v);
  const coins = encodeCoinList(v.coins);
  return new ByteWriter(DOMAIN.length + 1 + 1 + 4 + VALIDATE_NONCE + 2 + coins.length)
    .bytes(DOMAIN)
    .u8(v.claimer)
    .u8(v.validator)
    .u32(v.ticket)
    .bytes(v.nonce)
    .u16(v.coins.length)
    .bytes(coins)
    .finish();
}

/** Signs a vote with the validating server's operator key; `entropy` is 32 random bytes (node:crypto). */
export function signVote(v: ValidateVote, secretKey: Uint8Array, entropy: Uint8Array): Uint8Array {
  kit.fixed(entropy, 32, 'signing entropy');
  return ml_dsa65.sign(voteMessage(v), secretKey, { extraEntropy: entropy });
}

/** Whether `signature` is the validator's over exactly this vote (false for any malformed input). */
export function verifyVote(v: ValidateVote, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== VOTE_SIGNATURE || publicKey.length !== VOTE_PUBLIC_KEY) return false;
  let msg: Uint8Array;
  try {
    msg = voteMessage(v);
  } catch {
    return false;
  }
  return verifyMlDsa65(signature, msg, publicKey);
}

/** Validate ticket's SUCCESS payload: version, count, the coins, the signature. */
export function encodeValidateAnswer(coins: readonly CoinRef[], signature: Uint8Array): Uint8Array {
  if (coins.length > MAX_COINS_PER_REQUEST) fail('too_many_coins', Status.TOO_MANY_COINS, `validate answer: ${coins.length} coins`);
  kit.fixed(signature, VOTE_SIGNATURE, 'validate answer signature');
  const list = encodeCoinList(coins);
  return new ByteWriter(3 + list.length + VOTE_SIGNATURE).u8(VALIDATE_VERSION).u16(coins.length).bytes(list).bytes(signature).finish();
}

export function decodeValidateAnswer(payload: Uint8Array): { coins: CoinRef[]; signature: Uint8Array } {
  return kit.decode(() => {
    if (payload.length < 3 + VOTE_SIGNATURE || payload.length > MAX_VALIDATE_ANSWER)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `validate answer: ${payload.length} bytes`);
    const r = new ByteReader(payload);
    const version = r.u8();
    if (version !== VALIDATE_VERSION) fail('bad_version', Status.INVALID_PARAMETER, `validate answer: version ${version}`);
    const n = r.u16();
    if (n > MAX_COINS_PER_REQUEST) fail('too_many_coins', Status.TOO_MANY_COINS, `validate answer: ${n} coins`);
    if (payload.length !== 3 + n * 5 + VOTE_SIGNATURE)
      fail('bad_length', Status.INVALID_PACKET_LENGTH, `validate answer: ${payload.length} bytes for ${n} coins`);
    const coins = decodeCoinList(r.take(n * 5));
    return { coins, signature: r.take(VOTE_SIGNATURE).slice() };
  });
}
