// Attachments through legacy.send against real servers: Postfix (STARTTLS, SASL through
// Dovecot) delivers by LMTP to Dovecot. A 3 MB file staged as the window stages it (1 MiB
// chunks into the sealed store) goes out by its upload id; the recipient's copy and the
// sender's Sent copy carry it byte for byte (SHA-256) and the staged file is gone. Then the
// recipient forwards that email with its attachment (fetched from the cached original by
// the main process), and it arrives again byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { requests } from '../../shared/ipc/index.js';
import { legacyHandlers } from '../../electron/services/app/legacy.js';
import type { LegacyMessageSummary } from '../../electron/services/legacy/types.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import type { MailEngine } from '../../electron/services/mail/engine.js';
import { AttachmentStaging } from '../../electron/services/mail/staging.js';
import { AttachmentStore } from '../../electron/store/attachments.js';
import { openDatabase, type Db } from '../../electron/store/database.js';
import type { ImageSenders } from '../../electron/store/image-senders.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { startDovecot, startPostfix, type Dovecot, type Postfix } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';
import { until, bytesOf } from '../support/wait.js';

const ALICE = { user: 'alice@a.localhost', password: 'alice-pw' };
const BOB = { user: 'bob@b.localhost', password: 'bob-pw' };

let dovecot: Dovecot;
let postfix: Postfix;
let dir: { path: string; remove: () => void };
let db: Db;
let s: LegacyService;
let staging: AttachmentStaging;
let h: ReturnType<typeof legacyHandlers>;
const ids: Record<string, string> = {};

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A message of `account` in `folder` with this Message-ID, once a sync brought it. */
function arrived(account: string, folder: 'inbox' | 'sent', messageId: string): Promise<LegacyMessageSummary> {
  return until(`${messageId} in ${account}'s ${folder}`, async () => {
    await s.sync(account);
    return s.list({ accountId: account, folder, offset: 0, limit: 50 }).items.find((m) => m.messageId === messageId);
  });
}

async function attachmentsOf(id: string) {
  const parsed = await simpleParser(await bytesOf(await s.rawMessage(id)));
  return parsed.attachments.map((a) => ({ name: a.filename, sha: sha(a.content) }));
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [ALICE, BOB] });
  postfix = await startPostfix(dovecot, ['a.localhost', 'b.localhost']);
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  const box = new SecretBox(randomBytes(32));
  s = new LegacyService(db, () => box, { retry: { attempts: 3, baseMs: 20, maxMs: 200 } });
  for (const [name, u] of [
    ['alice', ALICE],
    ['bob', BOB],
  ] as const) {
    const v = await s.addAccount({
      name,
      preset: 'generic',
      email: u.user,
      user: u.user,
      incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem },
      smtp: { host: '127.0.0.1', port: postfix.port, tls: 'starttls', ca: dovecot.tls.caPem },
      auth: { kind: 'password', password: u.password },
    });
    ids[name] = v.id;
    await s.sync(name);
  }
  const store = new AttachmentStore(join(dir.path, 'attachments'), () => box);
  staging = new AttachmentStaging(() => store);
  h = legacyHandlers({
    legacy: s,
    mail: { staging } as unknown as MailEngine,
    changed: () => undefined,
    imageSenders: { has: () => false } as unknown as ImageSenders,
  });
});

afterAll(async () => {
  await s?.close();
  db?.close();
  await postfix?.stop();
  await dovecot?.stop();
  dir?.remove();
});

const send = async (input: Record<string, unknown>) => h['legacy.send'](requests['legacy.send'].input.parse(input));

describe('legacy.send with attachments through Postfix and Dovecot', () => {
  let received: LegacyMessageSummary;
  const file = randomBytes(3 * 1000 * 1000);

  it('a 3 MB staged file arrives byte for byte, the Sent copy carries it, and the staged file is dropped', async () => {
    const id = staging.begin('survey.bin', file.length);
    for (let at = 0; at < file.length; at += 1 << 20) await staging.chunk(id, file.subarray(at, at + (1 << 20)));
    await staging.finish(id);

    const { messageId } = await send({ accountId: ids.alice, to: [BOB.user], subject: 'The survey', body: 'Attached.', staged: [id] });
    received = await arrived('bob', 'inbox', messageId);
    expect(received.hasAttachments).toBe(true);
    expect(await attachmentsOf(received.id)).toEqual([{ name: 'survey.bin', sha: sha(file) }]);

    const copy = await arrived('alice', 'sent', messageId);
    expect(await attachmentsOf(copy.id)).toEqual([{ name: 'survey.bin', sha: sha(file) }]);

    expect(readdirSync(join(dir.path, 'attachments'))).toEqual([]);
    expect(() => staging.take(id)).toThrow(/no longer here/);
  });

  it('a forward of that email carries its attachment to the next recipient', async () => {
    const view = await h['legacy.get']({ id: received.id });
    expect(view.attachments.map((a) => a.name)).toEqual(['survey.bin']);
    const { messageId } = await send({
      accountId: ids.bob,
      to: [ALICE.user],
      subject: 'Fwd: The survey',
      body: 'See below.',
      forward: { id: received.id, attachments: [view.attachments[0]!.index] },
    });
    const got = await arrived('alice', 'inbox', messageId);
    expect(await attachmentsOf(got.id)).toEqual([{ name: 'survey.bin', sha: sha(file) }]);
  });
});
