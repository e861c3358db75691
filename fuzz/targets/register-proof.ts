// EXT-7: the proof a node reads from an unauthenticated register (85) request — the
// directory's address ticket, the identity key, the identity's signature — and the ticket
// alone. What decodes must survive encode → decode unchanged, and verifyRegisterProof on
// it must return a verdict (or the typed error), never throw anything else.
import { isDeepStrictEqual } from 'node:util';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import {
  QMailError,
  decodeAddressTicket,
  decodeRegisterProof,
  encodeAddressTicket,
  encodeRegisterProof,
  verifyRegisterProof,
  type AddressTicket,
  type ProofMailbox,
  type RegisterProof,
} from '../../shared/qmail/index.js';
import { type FuzzTarget, InvariantError, byFirstByte, invariant } from '../engine/target.js';

const fill = (n: number, start: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

/** The fixed world every proof in the corpus is checked against. */
export const FUZZ_PROOF = {
  directory: ml_dsa65.keygen(fill(32, 0x10)),
  identity: ml_dsa65.keygen(fill(32, 0x50)),
  mailbox: { coinGroup: 6, denomination: 1, serial: 4242 } as ProofMailbox,
  nodeId: fill(16, 0x20),
  newAn: fill(16, 0xb0),
  challenge: fill(16, 0x00),
  /** The node's clock, and the time the corpus proofs were signed and tickets issued. */
  now: 1_760_000_000_000,
};

const VERDICTS = new Set(['ok', 'stale', 'bad_ticket', 'bad_signature']);

function verify(proof: RegisterProof): void {
  const w = FUZZ_PROOF;
  const verdict = verifyRegisterProof({
    proof,
    mailbox: w.mailbox,
    nodeId: w.nodeId,
    newAn: w.newAn,
    challenge: w.challenge,
    directoryKey: w.directory.publicKey,
    now: w.now,
  });
  invariant(VERDICTS.has(verdict), `verifyRegisterProof returned ${String(verdict)}`);
}

/** What decodes must encode (the encoder may not refuse it) and decode back unchanged. */
function roundTrip<T>(label: string, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array, bytes: Uint8Array): T {
  const v = decode(bytes);
  let again: Uint8Array;
  try {
    again = encode(v);
  } catch (e) {
    throw new InvariantError(`${label}: the encoder refuses a decoded value (${e instanceof Error ? e.message : String(e)})`);
  }
  invariant(isDeepStrictEqual(decode(again), v), `${label}: a decoded value does not survive encode → decode`);
  return v;
}

const identitySignature = ml_dsa65.sign(fill(8, 0), FUZZ_PROOF.identity.secretKey);

export const target: FuzzTarget = {
  name: 'register-proof',
  about: 'EXT-7 register proof and address ticket, then verifyRegisterProof on what decodes',
  sources: ['/shared/qmail/register-proof', '/shared/bytes/'],
  fuzz: byFirstByte([
    (rest) => verify(roundTrip('register proof', decodeRegisterProof, encodeRegisterProof, rest)),
    (rest) => {
      const ticket = roundTrip<AddressTicket>('address ticket', decodeAddressTicket, encodeAddressTicket, rest);
      verify({ ticket, identityKey: FUZZ_PROOF.identity.publicKey, signedAt: FUZZ_PROOF.now, signature: identitySignature });
    },
  ]),
  expected: (e) => e instanceof QMailError,
  maxLength: 9000,
};
