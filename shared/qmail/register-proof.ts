// EXT-7 (docs/protocol.md): register (85) for a new address carries proof that the caller
// holds the identity key the directory bound to that address. Two ML-DSA-65 signatures:
//   ticket — the directory's, over (mailbox, SHA-256 of the identity key, issued at);
//   proof  — the identity's, over (mailbox, node id, SHA-256 of the new AN, the request's
//            challenge, signed at).
// The node checks both against the directory key it trusts, so an address can be
// registered only by the key the directory gave it to, only on the node named, only
// with the AN and challenge signed, and only close to the signing time.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ByteReader, ByteWriter, concatBytes } from '../bytes/index.js';
import { Status } from '../raida/status.js';
import { QMailError } from './errors.js';

export const ML_DSA65_PUBLIC_KEY_LENGTH = 1952;
export const ML_DSA65_SIGNATURE_LENGTH = 3309;
/** ticket issued at(8) · ticket signature · identity key · signed at(8) · signature. */
export const REGISTER_PROOF_LENGTH = 8 + ML_DSA65_SIGNATURE_LENGTH + ML_DSA65_PUBLIC_KEY_LENGTH + 8 + ML_DSA65_SIGNATURE_LENGTH;
/** How far a proof's signing time may be from the node's clock. */
export const REGISTER_PROOF_SKEW_MS = 10 * 60_000;

const TICKET_DOMAIN = new TextEncoder().encode('qmail-address-ticket/1\n');
const PROOF_DOMAIN = new TextEncoder().encode('qmail-register-proof/1\n');

export interface ProofMailbox {
  coinGroup?: number;
  denomination: number;
  serial: number;
}

/** The directory's allocation ticket: it bound this mailbox to this identity key at `issuedAt`. */
export interface AddressTicket {
  issuedAt: number;
  signature: Uint8Array;
}

export interface RegisterProof {
  ticket: AddressTicket;
  /** The identity's ML-DSA-65 public key. */
  identityKey: Uint8Array;
  signedAt: number;
  signature: Uint8Array;
}

function mailbox7(m: ProofMailbox): Uint8Array {
  return new ByteWriter(7)
    .u16(m.coinGroup ?? 6)
    .i8(m.denomination)
    .u32(m.serial)
    .finish();
}
function u64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new QMailError('bad_time', Status.INVALID_PARAMETER, `time out of range: ${n}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function ticketMessage(m: ProofMailbox, identityKey: Uint8Array, issuedAt: number): Uint8Array {
  return concatBytes(TICKET_DOMAIN, mailbox7(m), sha256(identityKey), u64(issuedAt));
}

export function registerProofMessage(
  m: ProofMailbox,
  nodeId: Uint8Array,
  newAn: Uint8Array,
  challenge: Uint8Array,
  signedAt: number,
): Uint8Array {
  if (nodeId.length !== 16) throw new QMailError('bad_field', Status.INVALID_PARAMETER, 'node id must be 16 bytes');
  return concatBytes(PROOF_DOMAIN, mailbox7(m), nodeId, sha256(newAn), challenge, u64(signedAt));
}

/** Directory side: sign a ticket for an allocated address. */
export function signAddressTicket(
  m: ProofMailbox,
  identityKey: Uint8Array,
  issuedAt: number,
  directorySecretKey: Uint8Array,
): AddressTicket {
  return { issuedAt, signature: ml_dsa65.sign(ticketMessage(m, identityKey, issuedAt), directorySecretKey) };
}

/** An 8-byte time as a number; past 2^53 − 1 it would round and no longer encode. */
function readTime(r: ByteReader): number {
  const t = r.u64();
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) throw new QMailError('bad_time', Status.INVALID_PARAMETER, `time out of range: ${t}`);
  return Number(t);
}

export function encodeAddressTicket(t: AddressTicket): Uint8Array {
  return concatBytes(u64(t.issuedAt), t.signature);
}
export function decodeAddressTicket(b: Uint8Array): AddressTicket {
  if (b.length !== 8 + ML_DSA65_SIGNATURE_LENGTH)
    throw new QMailError('bad_ticket', Status.INVALID_PARAMETER, 'address ticket has the wrong length');
  const r = new ByteReader(b);
  return { issuedAt: readTime(r), signature: r.take(ML_DSA65_SIGNATURE_LENGTH) };
}

/** Client side: the identity signs for one node, one new AN and one request challenge. */
export function signRegisterProof(o: {
  ticket: AddressTicket;
  identity: { signPublicKey: Uint8Array; signSecretKey: Uint8Array };
  mailbox: ProofMailbox;
  nodeId: Uint8Array;
  newAn: Uint8Array;
  challenge: Uint8Array;
  now: number;
}): RegisterProof {
  const signature = ml_dsa65.sign(registerProofMessage(o.mailbox, o.nodeId, o.newAn, o.challenge, o.now), o.identity.signSecretKey);
  return { ticket: o.ticket, identityKey: o.identity.signPublicKey, signedAt: o.now, signature };
}

export function encodeRegisterProof(p: RegisterProof): Uint8Array {
  const ok =
    p.ticket.signature.length === ML_DSA65_SIGNATURE_LENGTH &&
    p.identityKey.length === ML_DSA65_PUBLIC_KEY_LENGTH &&
    p.signature.length === ML_DSA65_SIGNATURE_LENGTH;
  if (!ok) throw new QMailError('bad_proof', Status.INVALID_PARAMETER, 'register proof fields have the wrong lengths');
  return concatBytes(encodeAddressTicket(p.ticket), p.identityKey, u64(p.signedAt), p.signature);
}

export function decodeRegisterProof(b: Uint8Array): RegisterProof {
  if (b.length !== REGISTER_PROOF_LENGTH)
    throw new QMailError('bad_proof', Status.INVALID_PACKET_LENGTH, `register proof must be ${REGISTER_PROOF_LENGTH} bytes`);
  const r = new ByteReader(b);
  const ticket = decodeAddressTicket(r.take(8 + ML_DSA65_SIGNATURE_LENGTH));
  const identityKey = r.take(ML_DSA65_PUBLIC_KEY_LENGTH);
  const signedAt = readTime(r);
  const signature = r.take(ML_DSA65_SIGNATURE_LENGTH);
  return { ticket, identityKey, signedAt, signature };
}

export type ProofVerdict = 'ok' | 'stale' | 'bad_ticket' | 'bad_signature';

function verifies(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    return ml_dsa65.verify(sig, msg, pk);
  } catch {
    return false;
  }
}

/** Node side: is this proof good for registering `newAn` for `mailbox` here, now? */
export function verifyRegisterProof(o: {
  proof: RegisterProof;
  mailbox: ProofMailbox;
  nodeId: Uint8Array;
  newAn: Uint8Array;
  challenge: Uint8Array;
  directoryKey: Uint8Array;
  now: number;
  skewMs?: number;
}): ProofVerdict {
  const p = o.proof;
  if (Math.abs(o.now - p.signedAt) > (o.skewMs ?? REGISTER_PROOF_SKEW_MS)) return 'stale';
  if (!verifies(p.ticket.signature, ticketMessage(o.mailbox, p.identityKey, p.ticket.issuedAt), o.directoryKey)) return 'bad_ticket';
  if (!verifies(p.signature, registerProofMessage(o.mailbox, o.nodeId, o.newAn, o.challenge, p.signedAt), p.identityKey))
    return 'bad_signature';
  return 'ok';
}
