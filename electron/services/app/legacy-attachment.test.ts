// Download of an email's attachment from the reader: the cached body (sealed in the profile,
// as a sync or an open leaves it) parsed again with only the asked attachment kept, and handed
// to the renderer in the same 1 MiB parts as a qmail's (mail.attachmentPart). No IMAP server is
// needed: the body is written as an open would have cached it.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/ipc/index.js';
import { openDatabase } from '../../store/database.js';
import type { ImageSenders } from '../../store/image-senders.js';
import { MessageStore } from '../../store/messages.js';
import { SecretBox } from '../../store/secret-box.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { LegacyService } from '../legacy/service.js';
import type { MailEngine } from '../mail/engine.js';
import { legacyReader } from './legacy-reader.js';
import { UnifiedMail } from './unified.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

async function world() {
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
    preset: 'generic',
    email: 'me@example.org',
    user: 'me',
    incoming: { kind: 'imap', host: 'imap.example.org', port: 993, tls: 'implicit' },
    smtp: { host: 'smtp.example.org', port: 465, tls: 'implicit' },
    auth: { kind: 'password', password: 'pw' },
  });
  const inbox = legacy.store.addFolder(account.id, 'INBOX', 'inbox').id;
  const big = randomBytes(2.5 * (1 << 20));
  const notes = Buffer.from('bring the dormouse\n');
  const raw = await new MailComposer({
    from: 'ann@example.net',
    to: 'me@example.org',
    subject: 'Files for the party',
    text: 'Two files and a picture.',
    html: '<p>Two files and a picture: <img src="cid:dot@x"></p>',
    attachments: [
      { filename: 'notes.txt', content: notes },
      { filename: 'dot.png', content: PNG, cid: 'dot@x' },
      { filename: 'big.bin', content: big },
    ],
  })
    .compile()
    .build();
  legacy.store.addMessages(inbox, [
    {
      uid: 1,
      date: 1_700_000_000_000,
      flags: 0,
      size: raw.length,
      envelope: { from: 'ann@example.net', to: ['me@example.org'], cc: [], subject: 'Files for the party', hasAttachments: true },
    },
  ]);
  const id = legacy.store.messageByUid(inbox, 1)!.id;
  legacy.store.bodyWriter(id).write(raw, true);
  const mail = {} as MailEngine;
  const reader = legacyReader({ legacy, mail, imageSenders: { has: () => false } as unknown as ImageSenders });
  const unified = new UnifiedMail({ db, messages: new MessageStore(db, () => box), mail, legacy, reader, changed: () => undefined });
  return { id, reader, unified, big, notes };
}

describe('an email attachment, downloaded', () => {
  it('the reader lists each attachment and gives each one back byte for byte, the big one in 1 MiB parts', async () => {
    const w = await world();
    const view = await w.reader.view(w.id, false, false);
    const names = view.attachments.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['notes.txt', 'big.bin']));
    const at = (name: string) => view.attachments.find((a) => a.name === name)!.index;

    const small = await w.unified.attachmentPart(w.id, at('notes.txt'), 0);
    expect(small).toMatchObject({ name: 'notes.txt', size: w.notes.length, last: true });
    expect(Buffer.from(small.data, 'base64')).toEqual(w.notes);

    const parts: Buffer[] = [];
    for (let part = 0; ; part++) {
      const r = await w.unified.attachmentPart(w.id, at('big.bin'), part);
      expect(r).toMatchObject({ name: 'big.bin', size: w.big.length });
      const bytes = Buffer.from(r.data, 'base64');
      expect(bytes.length).toBeLessThanOrEqual(1 << 20);
      parts.push(bytes);
      if (r.last) break;
    }
    expect(parts).toHaveLength(3);
    expect(sha(Buffer.concat(parts))).toBe(sha(w.big));
  });

  it('an inline image (kept in memory by the parser, not streamed to the sink) is downloadable too', async () => {
    const w = await world();
    const view = await w.reader.view(w.id, false, false);
    const dot = view.attachments.find((a) => a.name === 'dot.png')!;
    const r = await w.unified.attachmentPart(w.id, dot.index, 0);
    expect(r).toMatchObject({ name: 'dot.png', size: PNG.length, last: true });
    expect(Buffer.from(r.data, 'base64')).toEqual(PNG);
  });

  it('asking past the last part, or for an attachment that is not there, is a clear error', async () => {
    const w = await world();
    const view = await w.reader.view(w.id, false, false);
    const notes = view.attachments.find((a) => a.name === 'notes.txt')!.index;
    await expect(w.unified.attachmentPart(w.id, notes, 1)).rejects.toMatchObject({ code: 'invalid_input' });
    const err = await w.unified.attachmentPart(w.id, 40, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toMatchObject({ code: 'not_found' });
  });
});
