// Where a message's pieces live on the servers (docs/architecture-mail.md):
//   stripe for slot s          → object (G, file_type 1) on the slot's server
//   capsule for recipient R    → object (capsuleGuid(G, key of sender and R), file_type 0) on the
//                                first min(n, p + 2) slot servers (replicated, so p failures leave a copy)
import { createHmac } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { concatBytes } from '../../../shared/bytes/index.js';
import { hkdfSha256, label } from '../../../shared/crypto/primitives.js';
import { identityId, type Identity, type PublicIdentity } from '../../../shared/identity/index.js';

export const STRIPE_FILE_TYPE = 1;
export const CAPSULE_FILE_TYPE = 0;

/**
 * The key naming one recipient's capsules from one sender (EXT-9, docs/protocol.md): X25519
 * between the two identity keys (the static key L4 uses), through HKDF bound to both identity
 * ids, sender first. Either party derives it (`me` with its secret key, `role` saying which
 * of the two it is); a server holding only public keys and addresses cannot.
 */
export function capsuleIdKey(me: Identity, peer: PublicIdentity, role: 'sender' | 'recipient'): Uint8Array {
  const [sender, recipient] = role === 'sender' ? [me, peer] : [peer, me];
  const ids = concatBytes(identityId(sender), identityId(recipient));
  // Every send and every receive derives it again for the same few pairs (an X25519 each).
  const memo = `${role}:${Buffer.from(ids).toString('hex')}:${Buffer.from(peer.x25519PublicKey).toString('hex')}`;
  const known = capsuleIdKeys.get(memo);
  if (known) return known;
  const shared = x25519.getSharedSecret(me.x25519SecretKey, peer.x25519PublicKey);
  const key = hkdfSha256(shared, label('qmail/capsule-id/v2'), ids, 32);
  if (capsuleIdKeys.size >= 256) capsuleIdKeys.delete(capsuleIdKeys.keys().next().value!);
  capsuleIdKeys.set(memo, key);
  return key;
}

/** Capsule id keys derived since the last lock, by pair. */
const capsuleIdKeys = new Map<string, Uint8Array>();

/** On lock: derived keys are forgotten with everything else decrypted. */
export function forgetCapsuleIdKeys(): void {
  capsuleIdKeys.clear();
}

/** The capsule's object id for file group `guid`: HMAC-SHA-256(capsuleIdKey, G), first 16 bytes. */
export function capsuleGuid(guid: Uint8Array, key: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(guid).digest().subarray(0, 16));
}

export function capsuleCopies(n: number, p: number): number {
  return Math.min(n, p + 2);
}

/** IPv4 bytes for a Tell server entry; names resolve to loopback only when they are 'localhost'. */
export function ipv4Of(host: string): Uint8Array {
  const h = host === 'localhost' ? '127.0.0.1' : host;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (!m) throw new Error(`server host ${host} is not an IPv4 address; a Tell can only name IPv4 servers`);
  return Uint8Array.from(m.slice(1, 5).map(Number));
}

export function hostOf(ipv4: Uint8Array): string {
  return Array.from(ipv4).join('.');
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
