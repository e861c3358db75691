// Sending through a legacy account's SMTP server (nodemailer): implicit TLS, STARTTLS
// (required) or none; password or XOAUTH2. The message is also built here (MailComposer) so
// the exact bytes sent can be APPENDed to Sent.
import type { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { LegacyError, classify } from '../errors.js';
import { tlsOptions } from '../imap/connect.js';
import type { ServerConfig } from '../types.js';

export interface OutgoingMail {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: { filename: string; contentType?: string; content: Buffer | Readable }[];
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** A whole message built elsewhere (mime/): sent as is. */
  raw?: Buffer;
}

export type SmtpAuth = { user: string; pass: string } | { user: string; accessToken: string };

export function smtpTransport(s: ServerConfig, auth: SmtpAuth) {
  return nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.tls === 'implicit',
    requireTLS: s.tls === 'starttls',
    ignoreTLS: s.tls === 'none',
    tls: tlsOptions(s),
    auth: 'pass' in auth ? { user: auth.user, pass: auth.pass } : { type: 'OAuth2', user: auth.user, accessToken: auth.accessToken },
    connectionTimeout: 20_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
  });
}

/** The RFC 5322 bytes of `m` from `from` (Bcc left out of the headers). */
export async function buildMessage(from: { address: string; name?: string }, m: OutgoingMail): Promise<Buffer> {
  if (m.raw) return m.raw;
  const composer = new MailComposer({
    from: from.name ? { name: from.name, address: from.address } : from.address,
    to: m.to,
    ...(m.cc?.length ? { cc: m.cc } : {}),
    subject: m.subject,
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(m.html !== undefined ? { html: m.html } : {}),
    ...(m.attachments ? { attachments: m.attachments } : {}),
    ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
    ...(m.references?.length ? { references: m.references } : {}),
    ...(m.headers ? { headers: m.headers } : {}),
  });
  return new Promise((resolve, reject) => composer.compile().build((err, out) => (err ? reject(err) : resolve(out))));
}

export async function sendRaw(
  s: ServerConfig,
  auth: SmtpAuth,
  envelope: { from: string; to: string[] },
  raw: Buffer,
): Promise<{ accepted: string[]; rejected: string[]; response: string }> {
  const t = smtpTransport(s, auth);
  try {
    // The size lets nodemailer refuse a message over the server's SIZE (RFC 1870) before it is sent.
    const info = await t.sendMail({ envelope: { ...envelope, size: raw.length } as typeof envelope, raw });
    const str = (x: unknown) => (typeof x === 'string' ? x : ((x as { address?: string }).address ?? ''));
    return { accepted: info.accepted.map(str), rejected: info.rejected.map(str), response: info.response };
  } catch (e) {
    throw tooLarge(e, s, raw.length) ?? classify(e, `SMTP ${s.host}:${s.port}`);
  } finally {
    t.close();
  }
}

/** A message over the server's size limit (its SIZE, or a 552 answer) is the user's to fix: invalid_input saying so. */
function tooLarge(e: unknown, s: ServerConfig, size: number): LegacyError | undefined {
  const err = e as { code?: string; message?: string; responseCode?: number };
  const max = /larger than allowed (\d+)/.exec(err?.message ?? '')?.[1];
  if (!max && err?.responseCode !== 552) return undefined;
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new LegacyError(
    'invalid_input',
    `The message is ${mb(size)} with its attachments; ${s.host} ${max ? `takes at most ${mb(Number(max))}` : 'refused it as too large'}. Remove some attachments and send again.`,
  );
}

export async function verifySmtp(s: ServerConfig, auth: SmtpAuth): Promise<void> {
  const t = smtpTransport(s, auth);
  try {
    await t.verify();
  } catch (e) {
    throw classify(e, `SMTP ${s.host}:${s.port}`);
  } finally {
    t.close();
  }
}
