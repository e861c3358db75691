// Where a message's pieces live on the servers (docs/architecture-mail.md):
//   stripe for slot s          → object (G, file_type 1) on the slot's server
//   capsule for recipient R    → object (capsuleGuid(G, R), file_type 0) on the first
//                                min(n, p + 2) slot servers (replicated, so p failures leave a copy)
import { createHash } from 'node:crypto';
import { encodeMailbox, type Mailbox } from '../../../shared/cbdf/address.js';

export const STRIPE_FILE_TYPE = 1;
export const CAPSULE_FILE_TYPE = 0;

export function capsuleGuid(guid: Uint8Array, recipient: Mailbox): Uint8Array {
  const h = createHash('sha256').update('qmail/capsule-guid/v1').update(guid).update(encodeMailbox(recipient)).digest();
  return new Uint8Array(h.subarray(0, 16));
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
