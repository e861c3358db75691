// Tests and benchmarks that register on nodes belonging to a directory: an identity whose
// address the directory allocated, and register (85) bodies carrying its EXT-7 proof.
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import {
  decodeAddressTicket,
  encodeRegister,
  encodeRegisterProof,
  signRegisterProof,
  type AddressTicket,
} from '../../shared/qmail/index.js';
import { ALLOCATE_DOMAIN } from '../directory/server.js';
import { canonicalJson } from '../directory/descriptor.js';
import { directoryRequest } from '../directory/client.js';
import { freshChallenge, preambleFor, type Identity } from './client.js';

export interface DirectoryIdentity extends Identity {
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  ticket: AddressTicket;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A fresh ML-DSA-65 key, its address allocated by the directory, and a random AN. */
export async function directoryIdentity(directoryUrl: string, name = 'test user'): Promise<DirectoryIdentity> {
  const { publicKey, secretKey } = ml_dsa65.keygen(new Uint8Array(randomBytes(32)));
  const signingKey = b64(publicKey);
  const proof = b64(ml_dsa65.sign(new TextEncoder().encode(ALLOCATE_DOMAIN + canonicalJson({ name, signingKey })), secretKey));
  const r = await directoryRequest<{ denomination: number; serial: number; ticket: string }>(directoryUrl, 'POST', '/v1/addresses', {
    name,
    signingKey,
    proof,
  });
  return {
    denomination: r.denomination,
    serial: r.serial,
    an: new Uint8Array(randomBytes(16)),
    signPublicKey: publicKey,
    signSecretKey: secretKey,
    ticket: decodeAddressTicket(new Uint8Array(Buffer.from(r.ticket, 'base64'))),
  };
}

/**
 * A first registration of `id.an` (or `newAn`) on the node `nodeIdHex`, proved by `id`'s key.
 * `mailbox` lets a test claim another address with this key's proof.
 */
export function provenRegisterBody(
  id: DirectoryIdentity,
  nodeIdHex: string,
  o: { newAn?: Uint8Array; mailbox?: { denomination: number; serial: number }; now?: number } = {},
): Uint8Array {
  const newAn = o.newAn ?? id.an;
  const mailbox = o.mailbox ?? id;
  const challenge = freshChallenge();
  const preamble = { ...preambleFor({ ...mailbox, an: new Uint8Array(16) }), challenge };
  const proof = signRegisterProof({
    ticket: id.ticket,
    identity: id,
    mailbox,
    nodeId: new Uint8Array(Buffer.from(nodeIdHex, 'hex')),
    newAn,
    challenge,
    now: o.now ?? Date.now(),
  });
  return encodeRegister({ preamble, newAn, flags: 0, proof: encodeRegisterProof(proof) });
}
