// Encrypted mail over a legacy account (docs/legacy.md, "Encrypted mail over a legacy
// account"). The message is multipart/mixed: a text/plain explanation for readers without
// QMail Desktop, then an RFC 1847 multipart/encrypted entity whose control part is
// application/x-qmail-encrypted ("Version: 1") and whose data part is the payload below.
// Outer headers carry identifiers only (X-QKD-Secure, -Security-Level, -Algorithm,
// -Key-ID); the subject, body, attachments and thread travel inside, as the qmail bundle
// (bundle.ts), encrypted like a qmail with k = 2, p = 0 stripes and one capsule per
// recipient (shared/capsule, the same levels and signature).
//
// Payload (big-endian): "QLE1" ‖ sender public identity length u16 ‖ sender public identity
// (QMPI, with its address) ‖ capsule count u8 (1..32) ‖ count × (capsule length u16 ‖
// capsule) ‖ the two stripe objects (equal length: ceil(n / 2) + 36 each).
import { randomBytes } from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import {
  openCapsule,
  verifyCapsule,
  decodeCapsule,
  MAX_CAPSULE_BYTES,
  sealCapsule,
  type QkdKeyRef,
  type QkdKeySource,
} from '../../../../shared/capsule/index.js';
import { ByteReader, ByteWriter, TruncatedError, bytesEqual, toHex } from '../../../../shared/bytes/index.js';
import { CryptoError } from '../../../../shared/crypto/errors.js';
import {
  decodePublicIdentity,
  encodePublicIdentity,
  fingerprint,
  identityId,
  publicIdentity,
  sameIdentity,
  type Identity,
  type PublicIdentity,
} from '../../../../shared/identity/index.js';
import { decryptMessage, encryptMessage, newMessageSecrets, stripeObjectLength } from '../../../../shared/stripe/index.js';
import { decodeMailbox } from '../../../../shared/cbdf/index.js';
import { decodeLetter, encodeLetter, type Letter, type OpenedLetter } from '../../mail/bundle.js';
import { MimeError } from './errors.js';
import type { ParsedMessage } from './parse.js';

export const CONTROL_TYPE = 'application/x-qmail-encrypted';
export const PAYLOAD_NAME = 'qmail-message.bin';
export const PLACEHOLDER_SUBJECT = 'Encrypted message (QMail)';
export const MAX_PAYLOAD_BYTES = 40 * 1024 * 1024;
const MAGIC = Uint8Array.from([0x51, 0x4c, 0x45, 0x31]); // QLE1
const LAYOUT = { k: 2, p: 0 } as const;
const MAX_RECIPIENTS = 32;

export type LegacyLevel = 1 | 2 | 3;
/** X-QKD-Algorithm per level: the capsule's sealing; the body is always AES-256-CTR + HMAC-SHA-256, signed ML-DSA-65. */
export const LEVEL_ALGORITHM: Record<LegacyLevel, string> = { 1: 'QKD-OTP', 2: 'QKD-AES-256-GCM', 3: 'ML-KEM-768-X25519-AES-256-GCM' };

export const EXPLANATION = [
  'This message is encrypted with QMail Desktop.',
  '',
  'Its subject, text and attachments are inside the attached encrypted part; only the recipients named in it can open it, with QMail Desktop reading this mailbox. Nothing in this explanation or in the message headers says what the message contains.',
  '',
  'If you do not use QMail Desktop, ask the sender to write to you without encryption.',
].join('\r\n');

export interface QkdHeaders {
  'x-qkd-secure': string;
  'x-qkd-security-level': string;
  'x-qkd-algorithm': string;
  'x-qkd-key-id': string;
}

export interface SealRecipient {
  identity: PublicIdentity;
  /** L1/L2: passed to the QKD key source (the recipient's SAE id). */
  qkdPeer?: string;
}

export interface SealLegacyOptions {
  level: LegacyLevel;
  /** Our identity, registered (its address goes inside as the letter's sender). */
  sender: Identity;
  recipients: SealRecipient[];
  qkd?: QkdKeySource;
}

/** The key ids the outer header names: the QKD keys of every capsule (L1/L2), or the capsule's message id (L3). */
function keyIdHeader(level: LegacyLevel, messageId: Uint8Array, refs: readonly QkdKeyRef[]): string {
  return level === 3 ? toHex(messageId) : refs.map((r) => r.keyId).join(',');
}

function headersFor(level: LegacyLevel, keyId: string): QkdHeaders {
  return {
    'x-qkd-secure': 'true',
    'x-qkd-security-level': String(level),
    'x-qkd-algorithm': LEVEL_ALGORITHM[level],
    'x-qkd-key-id': keyId,
  };
}

/** The encrypted payload and the headers that name it. */
export async function sealLegacy(
  letter: Omit<Letter, 'id' | 'from' | 'to' | 'cc'>,
  opts: SealLegacyOptions,
): Promise<{ payload: Uint8Array; headers: QkdHeaders; messageId: Uint8Array }> {
  if (![1, 2, 3].includes(opts.level)) throw new MimeError('unsupported', `security level ${String(opts.level)} is not one of L1–L3`);
  if (opts.recipients.length < 1 || opts.recipients.length > MAX_RECIPIENTS)
    throw new MimeError('malformed', `1 to ${MAX_RECIPIENTS} recipients`);
  if (!opts.sender.address) throw new MimeError('malformed', 'the sender has no QMail address yet');
  const id = new Uint8Array(randomBytes(16));
  const bundle = encodeLetter({ ...letter, id, from: decodeMailbox(opts.sender.address), to: [], cc: [] });
  if (bundle.length > MAX_PAYLOAD_BYTES) throw new MimeError('too_large', `the message is over ${MAX_PAYLOAD_BYTES / 1048576} MB`);
  const secrets = { ...newMessageSecrets(LAYOUT, bundle.length), messageId: id };
  const { slots } = encryptMessage(bundle, LAYOUT, { secrets });
  const capsules: Uint8Array[] = [];
  const refs: QkdKeyRef[] = [];
  for (const r of opts.recipients) {
    const capsule = await sealCapsule(secrets, {
      level: opts.level,
      sender: opts.sender,
      recipient: r.identity,
      ...(opts.qkd ? { qkd: opts.qkd } : {}),
      ...(r.qkdPeer ? { qkdPeer: r.qkdPeer } : {}),
    });
    refs.push(...decodeCapsule(capsule).header.keyRefs);
    capsules.push(capsule);
  }
  const sender = encodePublicIdentity(publicIdentity(opts.sender));
  const w = new ByteWriter(16 + sender.length + capsules.reduce((n, c) => n + 2 + c.length, 0) + slots[0]!.length * 2);
  w.bytes(MAGIC).u16(sender.length).bytes(sender).u8(capsules.length);
  for (const c of capsules) w.u16(c.length).bytes(c);
  for (const s of slots) w.bytes(s);
  return { payload: w.finish(), headers: headersFor(opts.level, keyIdHeader(opts.level, id, refs)), messageId: id };
}

export interface DecodedPayload {
  sender: PublicIdentity;
  capsules: Uint8Array[];
  slots: [Uint8Array, Uint8Array];
}

/** Structure only (no key needed): every length checked, typed errors for the rest. */
export function decodePayload(bytes: Uint8Array): DecodedPayload {
  if (bytes.length > MAX_PAYLOAD_BYTES + 64 * 1024) throw new MimeError('too_large', 'the encrypted part is too large');
  try {
    const r = new ByteReader(bytes);
    if (!bytesEqual(r.bytes_(4), MAGIC)) throw new MimeError('unsupported', 'not a QMail encrypted payload (QLE1)');
    const sender = decodePublicIdentity(r.take(r.u16()));
    if (!sender.address) throw new MimeError('malformed', 'the sender identity carries no address');
    const count = r.u8();
    if (count < 1 || count > MAX_RECIPIENTS) throw new MimeError('malformed', `capsule count ${count}`);
    const capsules: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const n = r.u16();
      if (n > MAX_CAPSULE_BYTES) throw new MimeError('malformed', 'capsule too long');
      capsules.push(r.take(n));
    }
    const rest = r.rest();
    if (rest.length < 72 || rest.length % 2 !== 0) throw new MimeError('malformed', 'the stripe objects are cut short');
    const half = rest.length / 2;
    return { sender, capsules, slots: [rest.subarray(0, half), rest.subarray(half)] };
  } catch (e) {
    if (e instanceof TruncatedError) throw new MimeError('malformed', 'the encrypted payload is truncated');
    if (e instanceof CryptoError) throw new MimeError('malformed', `the encrypted payload: ${e.message}`);
    throw e;
  }
}

/** The MIME message (see the file comment). `headers` are the envelope ones: From, To, Cc, Date, Message-ID, In-Reply-To, References. */
export async function buildEncryptedMime(
  payload: Uint8Array,
  qkd: QkdHeaders,
  headers: Record<string, string | string[]>,
): Promise<Buffer> {
  const root = new MimeNode('multipart/mixed');
  for (const [k, v] of Object.entries(headers)) root.setHeader(k, v);
  root.setHeader('Subject', PLACEHOLDER_SUBJECT);
  root.setHeader('X-QKD-Secure', qkd['x-qkd-secure']);
  root.setHeader('X-QKD-Security-Level', qkd['x-qkd-security-level']);
  root.setHeader('X-QKD-Algorithm', qkd['x-qkd-algorithm']);
  root.setHeader('X-QKD-Key-ID', qkd['x-qkd-key-id']);
  root.createChild('text/plain; charset=utf-8').setContent(EXPLANATION);
  const enc = root.createChild(`multipart/encrypted; protocol="${CONTROL_TYPE}"`);
  enc
    .createChild(CONTROL_TYPE)
    .setHeader('Content-Description', 'QMail encrypted message control')
    .setHeader('Content-Transfer-Encoding', '7bit')
    .setContent('Version: 1\r\n');
  enc
    .createChild('application/octet-stream', { filename: PAYLOAD_NAME })
    .setHeader('Content-Disposition', `inline; filename="${PAYLOAD_NAME}"`)
    .setContent(Buffer.from(payload));
  return root.build();
}

/** Content types parseMime must keep in memory for openLegacy. */
export const ENCRYPTED_KEEP_TYPES = [CONTROL_TYPE, 'application/octet-stream'] as const;

/** Whether a parsed message is in our encrypted format (the control part, or X-QKD-Secure). */
export function isEncrypted(m: ParsedMessage): boolean {
  return m.attachments.some((a) => a.contentType === CONTROL_TYPE) || m.qkdHeaders['x-qkd-secure'] !== undefined;
}

export interface OpenLegacyOptions {
  me: Identity;
  /** The identity the directory (or the contact list) holds for this address; undefined if none. */
  resolveSender: (address: Uint8Array) => Promise<PublicIdentity | undefined>;
  qkd?: QkdKeySource;
  qkdPeer?: string;
  /** L1/L2: our end of the QKD link toward this sender (when `qkd` is not given). */
  qkdFor?: (senderAddress: Uint8Array) => { qkd: QkdKeySource; qkdPeer?: string } | undefined;
}

export interface OpenedLegacy {
  letter: OpenedLetter;
  level: LegacyLevel;
  sender: PublicIdentity;
  senderFingerprint: string;
  /** L1/L2: the keys the capsule named, which our key manager delivered. */
  qkdKeys?: QkdKeyRef[];
}

function tampered(why: string): never {
  throw new MimeError('tampered', `the encrypted message was altered or forged: ${why}`);
}

/**
 * Opens a parsed encrypted message for us: the payload's structure, the sender against the
 * directory, the capsule's signature (before any key is spent), the outer headers against
 * what the signed capsule says, then the stripes' MACs and the bundle. Any mismatch is
 * MimeError('tampered'); nothing is ever shown as if it were plain mail.
 */
export async function openLegacy(m: ParsedMessage, opts: OpenLegacyOptions): Promise<OpenedLegacy> {
  const control = m.attachments.findIndex((a) => a.contentType === CONTROL_TYPE);
  if (control < 0) {
    if (m.qkdHeaders['x-qkd-secure'] !== undefined) tampered('it says it is encrypted but has no control part');
    throw new MimeError('not_encrypted', 'not a QMail encrypted message');
  }
  const ctl = m.attachments[control]!;
  const data = m.attachments[control + 1];
  if (!ctl.data || !/^Version:\s*1\s*$/i.test(Buffer.from(ctl.data).toString('latin1').trim()))
    throw new MimeError('unsupported', 'unknown encrypted-message control version');
  if (!data?.data || data.contentType !== 'application/octet-stream') tampered('the encrypted part is missing');
  const p = decodePayload(data.data);
  const known = await opts.resolveSender(p.sender.address!);
  if (!known || !sameIdentity(known, p.sender))
    throw new MimeError('unknown_sender', 'the sender’s QMail identity is not the one the directory lists for its address');
  const myId = identityId(opts.me);
  const mine = p.capsules.find((c) => {
    try {
      return bytesEqual(decodeCapsule(c).header.recipientId, myId);
    } catch {
      return false;
    }
  });
  if (!mine) {
    if (
      p.capsules.some((c) => {
        try {
          decodeCapsule(c);
          return false;
        } catch {
          return true;
        }
      })
    )
      tampered('a capsule does not decode');
    throw new MimeError('not_for_us', 'the message is sealed for other recipients');
  }
  let header;
  try {
    header = verifyCapsule(mine, { sender: known, recipient: opts.me }).header;
  } catch (e) {
    tampered(e instanceof Error ? e.message : String(e));
  }
  if (header.level === 4) throw new MimeError('unsupported', 'L4 is not used over legacy accounts');
  const level = header.level as LegacyLevel;
  const h = m.qkdHeaders;
  const refs = p.capsules.flatMap((c) => decodeCapsule(c).header.keyRefs);
  if (h['x-qkd-security-level'] !== undefined && h['x-qkd-security-level'].trim() !== String(level))
    tampered('X-QKD-Security-Level does not match the signed capsule');
  if (h['x-qkd-algorithm'] !== undefined && h['x-qkd-algorithm'].trim() !== LEVEL_ALGORITHM[level])
    tampered('X-QKD-Algorithm does not match the signed capsule');
  if (h['x-qkd-key-id'] !== undefined && h['x-qkd-key-id'].replace(/\s+/g, '') !== keyIdHeader(level, header.messageId, refs))
    tampered('X-QKD-Key-ID does not match the signed capsule');
  let opened;
  try {
    const link = opts.qkd ? { qkd: opts.qkd, qkdPeer: opts.qkdPeer } : level < 3 ? opts.qkdFor?.(p.sender.address!) : undefined;
    opened = await openCapsule(mine, {
      recipient: opts.me,
      sender: known,
      ...(link?.qkd ? { qkd: link.qkd } : {}),
      ...(link?.qkdPeer ? { qkdPeer: link.qkdPeer } : {}),
    });
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'qkd-keys-unavailable') throw new MimeError('keys_unavailable', e.message);
    if (e instanceof CryptoError && e.code === 'malformed-capsule') tampered(e.message);
    tampered(e instanceof Error ? e.message : String(e));
  }
  if (p.slots[0].length !== stripeObjectLength(opened.secrets)) tampered('the stripe objects are not the length the capsule says');
  let plain: Uint8Array;
  try {
    plain = decryptMessage(p.slots, opened.secrets).plaintext;
  } catch (e) {
    tampered(e instanceof Error ? e.message : String(e));
  }
  let letter: OpenedLetter;
  try {
    letter = decodeLetter(plain);
  } catch (e) {
    tampered(`the signed content does not decode: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!letter.id || !bytesEqual(letter.id, header.messageId)) tampered('the content is not the message the capsule names');
  return { letter, level, sender: known, senderFingerprint: fingerprint(known), ...(level !== 3 ? { qkdKeys: header.keyRefs } : {}) };
}
