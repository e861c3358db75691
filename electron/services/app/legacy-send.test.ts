// legacy.send with attachments, without servers: the contract's bounds, then the handler over a
// real sealed attachment store and a real staging area, with the SMTP send replaced by a
// recorder. Staged files go into the built message byte for byte and are dropped once sent,
// kept when the send fails; hostile ids (unknown, unfinished, already taken by a qmail, in
// another send under way, listed twice) and a total over the provider's limit are refused
// before anything is built; a forward carries the original's attachments the user kept.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ContractError, LEGACY_ATTACHMENT_LIMITS, requests } from '../../../shared/ipc/index.js';
import { AttachmentStore } from '../../store/attachments.js';
import { openDatabase } from '../../store/database.js';
import type { ImageSenders } from '../../store/image-senders.js';
import { SecretBox } from '../../store/secret-box.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { LegacyError, SentCopyError } from '../legacy/errors.js';
import { LegacyService } from '../legacy/service.js';
import type { OutgoingMail } from '../legacy/smtp/send.js';
import { parseMime } from '../legacy/mime/index.js';
import type { MailEngine } from '../mail/engine.js';
import { AttachmentStaging } from '../mail/staging.js';
import { legacyHandlers } from './legacy.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ID = 'a'.repeat(32);
const STAGE = 'b'.repeat(32);

async function world(preset: 'generic' | 'outlook' = 'generic') {
  const dir = tempDir();
  const db = openDatabase(join(dir.path, 'qmail.db'));
  cleanups.push(() => {
    db.close();
    dir.remove();
  });
  const box = new SecretBox(randomBytes(32));
  const legacy = new LegacyService(db, () => box);
  const account = await legacy.addAccount({
    name: 'Work',
    preset,
    email: 'me@example.org',
    user: 'me',
    incoming: { kind: 'pop3', host: 'pop.example.org', port: 995, tls: 'implicit' },
    smtp: { host: 'smtp.example.org', port: 465, tls: 'implicit' },
    auth: { kind: 'password', password: 'pw' },
  });
  const store = new AttachmentStore(join(dir.path, 'attachments'), () => box);
  const staging = new AttachmentStaging(() => store);
  const mail = { staging } as unknown as MailEngine;
  const sent: OutgoingMail[] = [];
  let fail: Error | undefined;
  legacy.send = async (_id, m) => {
    if (fail) throw fail;
    sent.push(m);
    return { messageId: '', accepted: m.to, rejected: [] };
  };
  const h = legacyHandlers({ legacy, mail, changed: () => undefined, imageSenders: { has: () => false } as unknown as ImageSenders });
  const stage = async (name: string, bytes: Uint8Array) => {
    const id = staging.begin(name, bytes.length);
    for (let at = 0; at < bytes.length; at += 1 << 20) await staging.chunk(id, bytes.subarray(at, at + (1 << 20)));
    await staging.finish(id);
    return id;
  };
  const send = async (extra: Record<string, unknown>) =>
    h['legacy.send'](
      requests['legacy.send'].input.parse({
        accountId: account.id,
        to: ['you@example.net'],
        subject: 'Files',
        body: 'See attached.',
        ...extra,
      }),
    );
  const files = () => readdirSync(join(dir.path, 'attachments'));
  return {
    legacy,
    account,
    staging,
    sent,
    stage,
    send,
    files,
    failWith: (e?: Error) => (fail = e),
  };
}

/** The attachments of a built message: name → bytes. */
async function attachmentsOf(raw: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await parseMime(Readable.from([raw]), {
    sink: async (info, content) => {
      const chunks: Buffer[] = [];
      for await (const c of content) chunks.push(c as Buffer);
      out.set(info.filename ?? '', Buffer.concat(chunks));
      return undefined;
    },
  });
  return out;
}

describe('legacy.send: the contract', () => {
  const input = requests['legacy.send'].input;
  const base = { accountId: ID, to: ['you@example.net'], subject: 's', body: 'b' };

  it('takes staged upload ids and a forward’s attachment indexes, and defaults to none', () => {
    expect(input.parse(base)).toMatchObject({ staged: [] });
    expect(input.parse({ ...base, staged: [STAGE], forward: { id: ID, attachments: [0, 2] } })).toMatchObject({
      staged: [STAGE],
      forward: { id: ID, attachments: [0, 2] },
    });
  });

  it('refuses bytes in place of ids, malformed ids, more than 64, and bad indexes', () => {
    expect(input.safeParse({ ...base, attachments: [{ name: 'a.txt', data: 'aGk=' }] }).success).toBe(false);
    expect(input.safeParse({ ...base, staged: ['../../etc/passwd'] }).success).toBe(false);
    expect(input.safeParse({ ...base, staged: ['B'.repeat(32)] }).success).toBe(false);
    expect(input.safeParse({ ...base, staged: Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(32, '0')) }).success).toBe(
      false,
    );
    expect(input.safeParse({ ...base, forward: { id: ID, attachments: [-1] } }).success).toBe(false);
    expect(input.safeParse({ ...base, forward: { id: ID, attachments: [1.5] } }).success).toBe(false);
    expect(input.safeParse({ ...base, forward: { id: 'x', attachments: [] } }).success).toBe(false);
    expect(input.safeParse({ ...base, forward: { id: ID, attachments: [], extra: 1 } }).success).toBe(false);
  });

  it('limits by provider: 20 MB for Outlook, 25 MB otherwise', () => {
    expect(LEGACY_ATTACHMENT_LIMITS).toEqual({ gmail: 25 << 20, outlook: 20 << 20, yahoo: 25 << 20, generic: 25 << 20 });
  });
});

describe('legacy.send with attachments', () => {
  it('puts staged files into the message byte for byte, then drops them', async () => {
    const w = await world();
    const big = randomBytes(3 * (1 << 20) + 17);
    const small = Buffer.from('minutes of the meeting\n');
    const a = await w.stage('data.bin', big);
    const b = await w.stage('minutes.txt', small);
    expect(w.files()).toHaveLength(2);
    await w.send({ staged: [a, b] });
    expect(w.sent).toHaveLength(1);
    const got = await attachmentsOf(w.sent[0]!.raw!);
    expect(sha(got.get('data.bin')!)).toBe(sha(big));
    expect(got.get('minutes.txt')).toEqual(small);
    expect(w.files()).toHaveLength(0);
    expect(() => w.staging.take(a)).toThrow(/no longer here/);
  });

  it('keeps the staged files when the send fails, so sending again works', async () => {
    const w = await world();
    const bytes = randomBytes(200_000);
    const a = await w.stage('photo.jpg', bytes);
    w.failWith(new ContractError('unavailable', 'SMTP smtp.example.org:465: connection refused'));
    await expect(w.send({ staged: [a] })).rejects.toMatchObject({ code: 'unavailable' });
    expect(w.files()).toHaveLength(1);
    w.failWith(undefined);
    await w.send({ staged: [a] });
    expect(sha((await attachmentsOf(w.sent[0]!.raw!)).get('photo.jpg')!)).toBe(sha(bytes));
    expect(w.files()).toHaveLength(0);
  });

  it('an email that went but whose Sent copy failed is a success with a warning, and its staged files are dropped', async () => {
    const w = await world();
    const a = await w.stage('photo.jpg', randomBytes(1000));
    w.failWith(new SentCopyError(new LegacyError('closed', 'IMAP APPEND to Sent: connection closed'), '<x@example.org>'));
    const r = await w.send({ staged: [a] });
    expect(r.warning).toBe('The email was sent, but its copy could not be filed in Sent (IMAP APPEND to Sent: connection closed).');
    expect(w.files()).toHaveLength(0);
  });

  it('refuses an unknown id, an unfinished upload, one a qmail took, one another send holds, and one listed twice', async () => {
    const w = await world();
    await expect(w.send({ staged: [STAGE] })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/attach the file again/),
    });

    const half = w.staging.begin('half.bin', 10);
    await w.staging.chunk(half, new Uint8Array(5));
    await expect(w.send({ staged: [half] })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/not finished/),
    });

    // Someone else's: a qmail send took it over (its outbox owns the file now).
    const taken = await w.stage('taken.bin', randomBytes(100));
    w.staging.handOver(taken);
    await expect(w.send({ staged: [taken] })).rejects.toMatchObject({ code: 'not_found' });

    const twice = await w.stage('twice.bin', randomBytes(100));
    await expect(w.send({ staged: [twice, twice] })).rejects.toMatchObject({ code: 'invalid_input', message: /twice/ });

    // Another send under way with the same file: the second is refused, the first goes.
    const shared = await w.stage('shared.bin', randomBytes(100));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = w.legacy.send.bind(w.legacy);
    w.legacy.send = async (id, m) => {
      await gate;
      return original(id, m);
    };
    const first = w.send({ staged: [shared] });
    await new Promise((r) => setTimeout(r, 50));
    await expect(w.send({ staged: [shared] })).rejects.toMatchObject({ code: 'invalid_input', message: /another email/ });
    release();
    await first;
    expect(w.sent).toHaveLength(1);
    // Nothing was sent by the refused attempts.
    expect((await attachmentsOf(w.sent[0]!.raw!)).has('shared.bin')).toBe(true);
  });

  it('refuses attachments over the provider’s limit before anything is built, saying how much is allowed', async () => {
    const w = await world('outlook');
    const a = await w.stage('a.bin', randomBytes(12 << 20));
    const b = await w.stage('b.bin', randomBytes(9 << 20));
    const err = await w.send({ staged: [a, b] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/21\.0 MB; Outlook takes at most 20\.0 MB/) });
    expect(w.sent).toHaveLength(0);
    // Both stay staged: removing one and sending again works.
    await w.send({ staged: [a] });
    expect(w.sent).toHaveLength(1);
  });

  it('a forward carries the attachments of the original the user kept; a bad forward is refused', async () => {
    const w = await world();
    const inbox = w.legacy.store.addFolder(w.account.id, 'INBOX', 'inbox').id;
    const plan = randomBytes(300_000);
    const notes = Buffer.from('bring the dormouse\n');
    const raw = await new MailComposer({
      from: 'ann@example.net',
      to: 'me@example.org',
      subject: 'Plans',
      text: 'Two files.',
      attachments: [
        { filename: 'plan.pdf', content: plan },
        { filename: 'notes.txt', content: notes },
      ],
    })
      .compile()
      .build();
    w.legacy.store.addMessages(inbox, [
      {
        uid: 1,
        date: 1_700_000_000_000,
        flags: 0,
        size: raw.length,
        envelope: { from: 'ann@example.net', to: ['me@example.org'], cc: [], subject: 'Plans', hasAttachments: true },
      },
    ]);
    const id = w.legacy.store.messageByUid(inbox, 1)!.id;
    w.legacy.store.bodyWriter(id).write(raw, true);
    const view = await legacyHandlers({
      legacy: w.legacy,
      mail: {} as MailEngine,
      changed: () => undefined,
      imageSenders: { has: () => false } as unknown as ImageSenders,
    })['legacy.get']({ id });
    const at = (n: string) => view.attachments.find((a) => a.name === n)!.index;

    const mine = await w.stage('reply.txt', Buffer.from('my notes'));
    await w.send({ subject: 'Fwd: Plans', staged: [mine], forward: { id, attachments: [at('plan.pdf')] } });
    const got = await attachmentsOf(w.sent[0]!.raw!);
    expect([...got.keys()].sort()).toEqual(['plan.pdf', 'reply.txt']);
    expect(sha(got.get('plan.pdf')!)).toBe(sha(plan));

    await expect(w.send({ forward: { id, attachments: [at('notes.txt'), at('notes.txt')] } })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(w.send({ forward: { id, attachments: [40] } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(w.send({ forward: { id: 'c'.repeat(32), attachments: [0] } })).rejects.toMatchObject({ code: 'not_found' });
    expect(w.sent).toHaveLength(1);
  });
});
