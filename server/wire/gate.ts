// The pre-auth gate for bulk bodies (frames.ts): before a node commits memory to a body
// larger than the pre-auth budget, the sender must show, in the body's first 64 bytes,
// that it holds a mailbox AN on this node:
//  - type 1 (AN): the key coin is known here and the challenge, decrypted with its AN,
//    passes its CRC (what openRequest checks on the whole body later);
//  - type 0x20 (EXT-8, authenticated): the same, decrypting sent_at(8) ‖ challenge ‖
//    preamble from the GCM keystream (the tag covers the whole body and is checked later);
//  - type 0 (clear): the challenge passes its CRC and the preamble's AN is the one this
//    node stores for the preamble's mailbox (what the handler checks later);
//  - any other type: its key coin is known here (the full check runs on the whole body).
// Then, as the handler will: the preamble's AN is the one stored for its mailbox.
// The answer is the status the whole request would have got, or null to admit the body.
import { createDecipheriv } from 'node:crypto';
import { constantTimeEqual } from '../../shared/bytes/index.js';
import {
  CHALLENGE_LENGTH,
  Encryption,
  Status,
  isValidChallenge,
  isValidDenomination,
  type RequestHeader,
} from '../../shared/raida/index.js';
import type { Storage } from '../storage/index.js';
import { nodeAead, nodeCtr } from './envelope.js';
import { GATE_PREFIX } from './frames.js';

export async function preAuthorize(header: RequestHeader, prefix: Uint8Array, storage: Pick<Storage, 'getAn'>): Promise<number | null> {
  if (prefix.length < GATE_PREFIX) return Status.INVALID_PACKET_LENGTH;
  let plain = prefix.subarray(0, 48);
  if (header.encryption !== Encryption.NONE) {
    if (!isValidDenomination(header.keyDenomination)) return Status.ENCRYPTION_COIN_NOT_FOUND;
    const key = await storage.getAn({ denomination: header.keyDenomination, serial: header.keySerial });
    if (!key) return Status.ENCRYPTION_COIN_NOT_FOUND;
    if (header.encryption === Encryption.AN) plain = nodeCtr(key, header.nonce, prefix.subarray(0, 48));
    else if (header.encryption === Encryption.AEAD)
      plain = gcmKeystreamOpen(nodeAead.deriveKey(key, header.nonce), prefix.subarray(0, 56)).subarray(8);
    else return null;
    if (!isValidChallenge(plain.subarray(0, CHALLENGE_LENGTH))) return Status.INVALID_ENCRYPTION;
  } else if (!isValidChallenge(plain.subarray(0, CHALLENGE_LENGTH))) return Status.INVALID_CRC;
  // Preamble: challenge(16) session(8) coin group(2) DN(1, signed) SN(4) reserved(1) AN(16)
  const dv = new DataView(plain.buffer, plain.byteOffset, 48);
  const denomination = dv.getInt8(26);
  if (!isValidDenomination(denomination)) return Status.INVALID_SN_OR_DENOMINATION;
  const stored = await storage.getAn({ denomination, serial: dv.getUint32(27) });
  if (!stored) return Status.COIN_NOT_FOUND;
  if (!constantTimeEqual(stored, plain.subarray(32, 48))) return Status.INVALID_AN;
  return null;
}

/** AES-256-GCM with the all-zero 96-bit IV encrypts from counter block 0…0 ‖ 00000002: the same keystream, without the tag. */
function gcmKeystreamOpen(key: Uint8Array, sealed: Uint8Array): Uint8Array {
  const iv = Buffer.alloc(16);
  iv[15] = 2;
  const d = createDecipheriv('aes-256-ctr', key, iv);
  return new Uint8Array(Buffer.concat([d.update(sealed), d.final()]));
}
