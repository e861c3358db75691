// Reading legacy mail for the contract: a message's list row, its MIME parsed from the sealed
// cache, the reader's view (HTML through CBDF, remote images only for allowed senders, our
// encrypted format opened and its sender checked), the text search indexes, and one
// attachment's bytes for Download.
import { formatMailbox, decodeMailbox, encodeDocument, decodeDocument, type Phase2Document } from '../../../shared/cbdf/index.js';
import { ContractError, type LegacyMessageView } from '../../../shared/ipc/index.js';
import { publicIdentity } from '../../../shared/identity/index.js';
import { ATTACHMENT_CHUNK_BYTES } from '../../store/attachments.js';
import type { ImageSenders } from '../../store/image-senders.js';
import type { LegacyService } from '../legacy/service.js';
import type { LegacyMessageSummary } from '../legacy/types.js';
import {
  ENCRYPTED_KEEP_TYPES,
  MimeError,
  fetchRemoteImage,
  isEncrypted,
  legacyBody,
  openLegacy,
  parseMime,
  withRemoteImages,
  type ParsedMessage,
} from '../legacy/mime/index.js';
import type { MailEngine } from '../mail/engine.js';

const LEVEL = { 1: 'L1', 2: 'L2', 3: 'L3' } as const;

export interface LegacyReaderDeps {
  legacy: LegacyService;
  mail: MailEngine;
  /** Senders whose remote images the user allowed (sealed in the profile). */
  imageSenders: ImageSenders;
  /** Fetches a remote image once the user allowed its sender (tests pass their own). */
  fetchImage?: (url: string) => Promise<Uint8Array | undefined>;
}

/** Reading legacy mail: its list row, its MIME parsed, and the reader's view (decrypted when it is in the encrypted format). */
export function legacyReader(d: LegacyReaderDeps) {
  const allowed = d.imageSenders;
  const fetchImage = d.fetchImage ?? ((url: string) => fetchRemoteImage(url));
  const accountName = (id: string) => d.legacy.account(id)?.name ?? '';
  const row = (m: LegacyMessageSummary) => ({
    id: m.id,
    accountId: m.accountId,
    account: accountName(m.accountId),
    folder: m.folder,
    date: m.date,
    unread: m.unread,
    from: m.from,
    ...(m.fromName ? { fromName: m.fromName } : {}),
    to: m.to,
    subject: m.subject,
    hasAttachments: m.hasAttachments,
  });

  async function parsed(id: string): Promise<{ m: LegacyMessageSummary; p: ParsedMessage }> {
    const m = d.legacy.message(id);
    if (!m) throw new ContractError('not_found', 'No such message.');
    const p = await parseMime(await d.legacy.rawMessage(id), { keepTypes: ENCRYPTED_KEEP_TYPES });
    return { m, p };
  }

  /** Opens a message in our encrypted format: the sender from the directory, L1/L2 keys from the QKD link with that sender. */
  function openSecure(p: ParsedMessage) {
    return openLegacy(p, {
      me: d.mail.me().identity,
      resolveSender: async (a) => {
        const found = await d.mail.directory().lookup(formatMailbox(decodeMailbox(a)));
        return found ? publicIdentity(found.identity) : undefined;
      },
      qkdFor: (sender) => {
        const link = d.mail.qkd.linkFor(formatMailbox(decodeMailbox(sender)));
        return 'source' in link ? { qkd: link.source, qkdPeer: link.peer } : undefined;
      },
    });
  }

  /**
   * One attachment's bytes as the reader lists it (`index`), for Download: the cached body is
   * parsed again and only that attachment kept; an encrypted email's come from its opened letter.
   */
  async function attachment(id: string, index: number): Promise<{ name: string; data: Buffer }> {
    if (!d.legacy.message(id)) throw new ContractError('not_found', 'No such message.');
    let found: { name: string; data: Buffer } | undefined;
    const p = await parseMime(await d.legacy.rawMessage(id), {
      keepTypes: ENCRYPTED_KEEP_TYPES,
      sink: async (info, content) => {
        const chunks: Buffer[] = [];
        for await (const c of content) if (info.index === index) chunks.push(c as Buffer);
        if (info.index === index) found = { name: info.filename || 'attachment', data: Buffer.concat(chunks) };
        return undefined;
      },
    });
    if (isEncrypted(p)) {
      const a = (await openSecure(p)).letter.attachments[index];
      if (!a) throw new ContractError('not_found', 'That attachment is not here.');
      return { name: a.name, data: Buffer.from(a.data) };
    }
    // Inline images are kept in memory by the parser rather than handed to the sink.
    const kept = p.attachments.find((a) => a.index === index);
    if (!found && kept?.data) found = { name: kept.filename || 'attachment', data: Buffer.from(kept.data) };
    if (!found) throw new ContractError('not_found', 'That attachment is not here.');
    return found;
  }

  /** The reader's view; `markSeen` sets \\Seen on the server (the unified reader marks it read itself, after). */
  async function view(id: string, fetchImages: boolean, markSeen = true): Promise<LegacyMessageView> {
    const { m, p } = await parsed(id);
    if (markSeen && m.unread) await d.legacy.setFlags(id, { seen: true }).catch(() => undefined);
    const base = {
      ...row(m),
      unread: markSeen ? false : m.unread,
      cc: m.cc,
      attachments: p.attachments.map((a) => ({ index: a.index, name: a.filename || 'attachment', size: a.size })),
      ...(p.messageId ? { messageId: p.messageId } : {}),
    };
    if (isEncrypted(p)) {
      try {
        const o = await openSecure(p);
        const doc = o.letter.document ? Buffer.from(o.letter.document).toString('base64') : undefined;
        return {
          ...base,
          subject: o.letter.subject,
          body: o.letter.body,
          ...(doc ? { document: doc } : {}),
          remoteImages: 0,
          imagesAllowed: false,
          attachments: o.letter.attachments.map((a, index) => ({ index, name: a.name, size: a.data.length })),
          secure: {
            level: LEVEL[o.level],
            sender: formatMailbox(decodeMailbox(o.sender.address!)),
            senderFingerprint: o.senderFingerprint,
            keyIds: (o.qkdKeys ?? []).map((k) => k.keyId),
          },
        };
      } catch (e) {
        if (!(e instanceof MimeError)) throw e;
        // The parts of a message that failed to open are its ciphertext, not attachments to offer.
        return { ...base, attachments: [], body: '', remoteImages: 0, imagesAllowed: false, problem: { code: e.code, message: e.message } };
      }
    }
    const body = legacyBody(p);
    const sender = (p.from?.address ?? m.from).toLowerCase();
    const allow = fetchImages || allowed.has(sender);
    let document = body.document;
    let remote = body.remoteImages.length;
    if (allow && document && remote > 0) {
      const doc = await withRemoteImages(decodeDocument(document) as Phase2Document, fetchImage);
      document = encodeDocument(doc);
      remote = 0;
    }
    return {
      ...base,
      body: body.body,
      ...(document ? { document: Buffer.from(document).toString('base64') } : {}),
      remoteImages: remote,
      imagesAllowed: allow,
    };
  }
  /** The text search indexes (a cached body, parsed again); none for the encrypted format, whose text shows only once opened. */
  async function text(id: string): Promise<string | undefined> {
    const { p } = await parsed(id);
    return isEncrypted(p) ? undefined : legacyBody(p).body;
  }

  /** The email attachment a Download is reading, part by part (dropped after its last part, a minute idle, or a lock). */
  let held: { key: string; name: string; data: Buffer; at: number } | undefined;

  /** One 1 MiB part of an attachment, as mail.attachmentPart gives a qmail's. */
  async function attachmentPart(id: string, index: number, part: number) {
    const key = `${id}:${index}`;
    if (held?.key !== key || Date.now() - held.at > 60_000 || part === 0) held = { key, ...(await attachment(id, index)), at: Date.now() };
    const { name, data } = held;
    held.at = Date.now();
    const parts = Math.max(1, Math.ceil(data.length / ATTACHMENT_CHUNK_BYTES));
    if (part >= parts) throw new ContractError('invalid_input', 'That part of the attachment does not exist.');
    const last = part === parts - 1;
    if (last) held = undefined;
    const bytes = data.subarray(part * ATTACHMENT_CHUNK_BYTES, (part + 1) * ATTACHMENT_CHUNK_BYTES);
    return { name, size: data.length, data: bytes.toString('base64'), last };
  }

  /** On lock: no attachment bytes stay in memory. */
  function forget(): void {
    held = undefined;
  }

  return { row, parsed, view, text, attachment, attachmentPart, forget };
}
