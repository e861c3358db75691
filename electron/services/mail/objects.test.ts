import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generateIdentity, publicIdentity } from '../../../shared/identity/index.js';
import { capsuleGuid, capsuleIdKey, forgetCapsuleIdKeys } from './objects.js';

describe('capsule object ids (EXT-9)', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const carol = generateIdentity();
  const g = new Uint8Array(randomBytes(16));

  it('the sender and the recipient derive the same id, each from its own secret key', () => {
    const sent = capsuleGuid(g, capsuleIdKey(alice, publicIdentity(bob), 'sender'));
    const found = capsuleGuid(g, capsuleIdKey(bob, publicIdentity(alice), 'recipient'));
    expect(Buffer.from(found).equals(Buffer.from(sent))).toBe(true);
    expect(sent).toHaveLength(16);
  });

  it('differs per recipient, per direction and per file group', () => {
    const id = (k: Uint8Array, guid = g) => Buffer.from(capsuleGuid(guid, k)).toString('hex');
    const ids = new Set([
      id(capsuleIdKey(alice, bob, 'sender')),
      id(capsuleIdKey(alice, carol, 'sender')),
      id(capsuleIdKey(bob, alice, 'sender')),
      id(capsuleIdKey(alice, bob, 'sender'), new Uint8Array(randomBytes(16))),
    ]);
    expect(ids.size).toBe(4);
  });

  it('a public key of low order names nothing: the key is refused', () => {
    expect(() => capsuleIdKey(alice, { ...publicIdentity(bob), x25519PublicKey: new Uint8Array(32) }, 'sender')).toThrow();
  });

  it('a remembered key is the one derived afresh, and is not served for another key under the same ids', () => {
    const first = Buffer.from(capsuleIdKey(alice, publicIdentity(bob), 'sender'));
    expect(Buffer.from(capsuleIdKey(alice, publicIdentity(bob), 'sender')).equals(first)).toBe(true);
    forgetCapsuleIdKeys();
    expect(Buffer.from(capsuleIdKey(alice, publicIdentity(bob), 'sender')).equals(first)).toBe(true);
    const other = { ...publicIdentity(bob), x25519PublicKey: publicIdentity(carol).x25519PublicKey };
    expect(Buffer.from(capsuleIdKey(alice, other, 'sender')).equals(first)).toBe(false);
  });
});
