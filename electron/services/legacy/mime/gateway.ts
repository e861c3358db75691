// The gateway: a qmail written to a plain email address leaves QMail as an RFC 5322
// message sent through one of the user's legacy accounts (LegacyService.send with `raw`).
// Plain when the recipient is not known to run QMail Desktop, our encrypted format when
// they are. Message-ID, In-Reply-To and References are set here so the answer (which
// names our Message-ID) files into the same conversation.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { decodeDocument, editorHtml } from '../../../../shared/cbdf/index.js';
import type { Attachment, ThreadRef } from '../../mail/bundle.js';
import { buildEncryptedMime, sealLegacy, type SealLegacyOptions } from './encrypted.js';
import { MimeError } from './errors.js';
import type { MailAddress } from './parse.js';

export interface GatewayMail {
  from: MailAddress;
  to: string[];
  cc?: string[];
  subject: string;
  /** Plain text (always sent, also beside the HTML). */
  body: string;
  /** The composer's CBDF Phase II document, sent as HTML beside the text. */
  document?: Uint8Array;
  /** Bytes in memory, or (plain mail only) a stream read as the message is built: a staged file from the sealed store. */
  attachments?: (Attachment | GatewayAttachment)[];
  /** The message answered, for threading (RFC 5322 ids with their angle brackets). */
  inReplyTo?: string;
  references?: string[];
  /** QMail thread ids, carried inside an encrypted message. */
  thread?: ThreadRef;
  date?: Date;
}

export interface GatewayAttachment {
  name: string;
  content: Readable;
}

export type GatewayMode = { kind: 'plain' } | ({ kind: 'encrypted' } & SealLegacyOptions);

export interface BuiltMail {
  raw: Buffer;
  messageId: string;
  /** Envelope recipients, for the SMTP RCPT TO. */
  recipients: string[];
}

const MSGID = /^<[^<>\s@]{1,200}@[^<>\s@]{1,200}>$/;
const ADDRESS = /^[^\s@<>",;]{1,64}@[^\s@<>",;]{1,255}$/;

/** A fresh Message-ID on the sender's own domain. */
export function newMessageId(from: string): string {
  const domain = from.split('@')[1] ?? 'localhost';
  return `<${randomBytes(16).toString('hex')}@${domain}>`;
}

/** Headers of an answer to `parent`: In-Reply-To its id, References its chain plus its id (the last 20). */
export function replyHeaders(parent: { messageId?: string; references?: readonly string[] }): { inReplyTo?: string; references: string[] } {
  const refs = [...(parent.references ?? []), ...(parent.messageId ? [parent.messageId] : [])].filter((r) => MSGID.test(r));
  return { ...(parent.messageId && MSGID.test(parent.messageId) ? { inReplyTo: parent.messageId } : {}), references: refs.slice(-20) };
}

function check(m: GatewayMail): void {
  const all = [m.from.address, ...m.to, ...(m.cc ?? [])];
  const bad = all.find((a) => !ADDRESS.test(a));
  if (bad !== undefined) throw new MimeError('malformed', `not an email address: ${JSON.stringify(bad.slice(0, 80))}`);
  if (m.to.length + (m.cc?.length ?? 0) === 0) throw new MimeError('malformed', 'no recipient');
  for (const id of [m.inReplyTo, ...(m.references ?? [])])
    if (id !== undefined && !MSGID.test(id)) throw new MimeError('malformed', 'a thread reference is not a Message-ID');
  if (/[\r\n]/.test(m.subject) || /[\r\n]/.test(m.from.name ?? '')) throw new MimeError('malformed', 'line breaks in a header');
}

/** The message to hand to LegacyService.send as `raw`, with its Message-ID and envelope recipients. */
export async function buildGatewayMail(m: GatewayMail, mode: GatewayMode): Promise<BuiltMail> {
  check(m);
  const messageId = newMessageId(m.from.address);
  const date = m.date ?? new Date();
  const thread = {
    ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
    ...(m.references?.length ? { references: m.references.join(' ') } : {}),
  };
  const recipients = [...m.to, ...(m.cc ?? [])];
  if (mode.kind === 'plain') {
    let html: string | undefined;
    if (m.document) {
      const doc = decodeDocument(m.document);
      if (doc.kind === 'phase2') html = `<!doctype html><html><body>${editorHtml(doc)}</body></html>`;
    }
    const composer = new MailComposer({
      from: m.from.name ? { name: m.from.name, address: m.from.address } : m.from.address,
      to: m.to,
      ...(m.cc?.length ? { cc: m.cc } : {}),
      subject: m.subject,
      text: m.body,
      ...(html ? { html } : {}),
      messageId,
      date,
      ...thread,
      attachments: (m.attachments ?? []).map((a) => ({ filename: a.name, content: 'content' in a ? a.content : Buffer.from(a.data) })),
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    return { raw: await composer.compile().build(), messageId, recipients };
  }
  const { payload, headers } = await sealLegacy(
    {
      subject: m.subject,
      body: m.body,
      ...(m.document ? { document: m.document } : {}),
      timestamp: Math.floor(date.getTime() / 1000),
      attachments: (m.attachments ?? []).map((a) => {
        if ('content' in a) throw new MimeError('malformed', 'an encrypted message takes its attachments in memory');
        return a;
      }),
      ...(m.thread ? { thread: m.thread } : {}),
    },
    mode,
  );
  const outer: Record<string, string> = {
    From: m.from.name ? `"${m.from.name.replace(/["\\]/g, '')}" <${m.from.address}>` : m.from.address,
    To: m.to.join(', '),
    ...(m.cc?.length ? { Cc: m.cc.join(', ') } : {}),
    Date: date.toUTCString().replace('GMT', '+0000'),
    'Message-ID': messageId,
    ...(m.inReplyTo ? { 'In-Reply-To': m.inReplyTo } : {}),
    ...(m.references?.length ? { References: m.references.join(' ') } : {}),
  };
  return { raw: await buildEncryptedMime(payload, headers, outer), messageId, recipients };
}
