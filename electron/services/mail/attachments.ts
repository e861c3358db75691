// A stored message's attachment as a byte stream: from the sealed attachment store, from the
// user's file (outbox, drafts and Sent keep the path), or from base64 kept in the extras (mail
// stored before the attachment store, and what the contract hands over whole).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { StreamedAttachment } from './bundle.js';
import type { MailContext, StoredAttachment } from './context.js';

/** Where an attachment's bytes are read from as the letter is striped: the sealed store, the user's file, or bytes kept inline. */
export function attachmentSource(ctx: MailContext, a: StoredAttachment): StreamedAttachment {
  if (a.ref) return { name: a.name, size: a.size ?? 0, open: () => ctx.tables.attachments.read(a.ref!) };
  if (a.path) return { name: a.name, size: a.size ?? 0, open: () => createReadStream(a.path!, { highWaterMark: 1 << 20 }) };
  const data = Buffer.from(a.data ?? '', 'base64');
  return { name: a.name, size: data.length, open: () => Readable.from([data]) };
}
