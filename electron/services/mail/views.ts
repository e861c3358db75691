// What the reader and the list are given: a message with its extras (attachments, layout,
// certificate, delivery, conversation, where Restore puts it back), an attachment's bytes,
// and search hits with the ranges to highlight.
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { ATTACHMENT_CHUNK_BYTES } from '../../store/attachments.js';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FolderId, MessageSummary, MessageView, SearchHit } from '../../../shared/ipc/index.js';
import { MailError, type MailContext, type StoredAttachment } from './context.js';
import type { Mailbox } from './mailbox.js';
import { attachmentSource } from './attachments.js';
import { matchRanges, queryTerms, snippetAround } from './search.js';

/** Attachments handed over whole (base64) are at most this large. */
export const MAX_WHOLE_ATTACHMENT = 64 * 1024 * 1024;

const sizeOf = (a: StoredAttachment): number => a.size ?? Buffer.from(a.data ?? '', 'base64').length;

export class Views {
  constructor(
    private readonly ctx: MailContext,
    private readonly mailbox: Mailbox,
  ) {}

  view(id: string): MessageView | undefined {
    const m = this.ctx.tables.messages.get(id);
    if (!m) return undefined;
    const x = this.mailbox.extras(id);
    const ours = m.folder === 'sent' || m.folder === 'drafts';
    const fromName =
      m.fromName ?? (ours ? (this.ctx.identity.exists() ? this.ctx.identity.me().name : undefined) : this.ctx.names.of(m.from));
    // Conversations come from the in-memory map the running engine keeps; a one-shot reader
    // (the CLI's read) does not decrypt every message just to count a thread.
    const thread = this.mailbox.threadOf(id);
    const restoreTo = m.folder === 'trash' ? this.mailbox.restoreFolder(m, x) : undefined;
    return {
      ...m,
      ...(fromName ? { fromName } : {}),
      ...(x?.draft ? { draft: x.draft } : {}),
      ...(x?.document ? { document: x.document } : {}),
      ...(thread ? { thread } : {}),
      ...(x?.delivery ? { delivery: x.delivery } : {}),
      ...(restoreTo ? { restoreTo } : {}),
      ...(x
        ? {
            attachments: x.attachments.map((a, index) => ({ index, name: a.name, size: sizeOf(a) })),
            ...(x.stripes ? { stripes: x.stripes } : {}),
            ...(x.repaired !== undefined ? { repaired: x.repaired } : {}),
            ...(x.certificate ? { certificate: x.certificate } : {}),
          }
        : {}),
    };
  }

  /** An attachment's bytes, streamed from the sealed store (or from the extras of mail stored before it). */
  attachmentStream(id: string, index: number): { name: string; size: number; stream: Readable } {
    const a = this.mailbox.extras(id)?.attachments[index];
    if (!a) throw new MailError('not_found', 'That attachment is not here.');
    return { name: a.name, size: sizeOf(a), stream: attachmentSource(this.ctx, a).open() };
  }

  /** An attachment whole, base64 (the contract's mail.attachment); bounded so a huge one is saved streamed instead. */
  async attachment(id: string, index: number): Promise<{ name: string; size: number; data: string }> {
    const { name, size, stream } = this.attachmentStream(id, index);
    if (size > MAX_WHOLE_ATTACHMENT) {
      stream.destroy();
      throw new MailError('invalid_input', `${name} is over ${MAX_WHOLE_ATTACHMENT / 1048576} MB: save it to a file instead.`);
    }
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return { name, size, data: Buffer.concat(parts).toString('base64') };
  }

  /**
   * Part `part` (1 MiB) of an attachment, base64, for a reader that saves it piece by piece
   * (no answer carries more than a part); `last` says it was the final one.
   */
  async attachmentPart(id: string, index: number, part: number): Promise<{ name: string; size: number; data: string; last: boolean }> {
    const a = this.mailbox.extras(id)?.attachments[index];
    if (!a) throw new MailError('not_found', 'That attachment is not here.');
    const size = sizeOf(a);
    const parts = Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES));
    if (part >= parts) throw new MailError('invalid_input', 'That part of the attachment does not exist.');
    let bytes: Buffer;
    if (a.ref) bytes = (await this.ctx.tables.attachments.readChunk(a.ref, part)).bytes;
    else if (a.path) {
      const fh = await open(a.path, 'r');
      try {
        bytes = Buffer.alloc(Math.min(ATTACHMENT_CHUNK_BYTES, size - part * ATTACHMENT_CHUNK_BYTES));
        await fh.read(bytes, 0, bytes.length, part * ATTACHMENT_CHUNK_BYTES);
      } finally {
        await fh.close();
      }
    } else bytes = Buffer.from(a.data ?? '', 'base64').subarray(part * ATTACHMENT_CHUNK_BYTES, (part + 1) * ATTACHMENT_CHUNK_BYTES);
    return { name: a.name, size, data: bytes.toString('base64'), last: part === parts - 1 };
  }

  /** Writes an attachment to `path`, chunk by chunk (never held whole); a failed save leaves no file. */
  async saveAttachment(id: string, index: number, path: string): Promise<{ name: string; size: number }> {
    const { name, size, stream } = this.attachmentStream(id, index);
    try {
      await pipeline(stream, createWriteStream(path, { mode: 0o600 }));
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
    return { name, size };
  }

  /**
   * Searches the in-memory index (sender and recipients with their names, subject, text,
   * attachment names). Each hit says where it matched, with ranges to highlight in what a list
   * row shows; when the words matched deeper in the text or in an attachment name, the preview
   * becomes an excerpt around them.
   */
  search(query: string, folder: FolderId | undefined, limit: number): { total: number; items: SearchHit[] } {
    this.mailbox.ensureBuilt();
    const { total, ids } = this.mailbox.index.top(query, folder, limit);
    const terms = queryTerms(query);
    const items: SearchHit[] = [];
    for (const id of ids) {
      const m = this.ctx.tables.messages.get(id);
      if (!m) continue;
      const { body, ...summary } = m;
      const names = { ...(m.toNames ?? {}) };
      for (const a of m.to) {
        if (names[a]) continue;
        const n = this.ctx.names.of(a);
        if (n) names[a] = n;
      }
      const fromName = m.fromName ?? (m.folder === 'sent' || m.folder === 'drafts' ? undefined : this.ctx.names.of(m.from));
      const attachments = this.mailbox.extras(id)?.attachments.map((a) => a.name) ?? [];
      items.push(
        searchHit(
          { ...summary, ...(fromName ? { fromName } : {}), ...(Object.keys(names).length ? { toNames: names } : {}) },
          body,
          attachments,
          terms,
        ),
      );
    }
    return { total, items };
  }
}

/**
 * A search hit from a message's summary (names resolved), its text and attachment names: where
 * the terms matched, the ranges to highlight in what a row shows, and, when the words matched
 * deeper in the text or in an attachment name, an excerpt around them as the preview. Legacy
 * account mail is made into hits the same way.
 */
export function searchHit(summary: MessageSummary, body: string, attachments: readonly string[], terms: readonly string[]): SearchHit {
  const m = summary;
  const names = m.toNames ?? {};
  const to = Object.fromEntries(m.to.map((a) => [a, [...matchRanges(names[a] ?? a, terms)]]).filter(([, r]) => (r as unknown[]).length));
  const toAny = m.to.some((a) => matchRanges(a, terms).length || (names[a] && matchRanges(names[a], terms).length));
  const inBody = matchRanges(body, terms).length > 0;
  const attachment = attachments.find((n) => matchRanges(n, terms).length);
  let preview = m.preview;
  let previewRanges = matchRanges(preview, terms);
  if (!previewRanges.length && inBody) {
    const s = snippetAround(body, terms);
    if (s) ({ text: preview, ranges: previewRanges } = s);
  }
  if (!previewRanges.length && attachment) {
    preview = `Attachment: ${attachment}`;
    previewRanges = matchRanges(preview, terms);
  }
  const matchedIn: SearchHit['matchedIn'] = [];
  if (matchRanges(m.from, terms).length || (m.fromName && matchRanges(m.fromName, terms).length)) matchedIn.push('from');
  if (toAny) matchedIn.push('to');
  if (matchRanges(m.subject, terms).length) matchedIn.push('subject');
  if (inBody) matchedIn.push('body');
  if (attachment) matchedIn.push('attachment');
  return {
    ...m,
    preview,
    highlights: {
      subject: matchRanges(m.subject, terms),
      preview: previewRanges,
      from: matchRanges(m.from, terms),
      fromName: m.fromName ? matchRanges(m.fromName, terms) : [],
      to,
    },
    matchedIn,
  };
}
