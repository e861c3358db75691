// Encrypted mail over legacy accounts, end to end through the app's contract: two QMail
// Desktop profiles on one local QMail network, each with an email account on real Dovecot
// (IMAP) and Postfix (SMTP). Ada sends an L3-encrypted email to Bob's address; what Postfix
// delivers names neither subject nor text; Bob's profile syncs, decrypts it with the
// certificate facts (level, Ada's QMail address and fingerprint), and answers in the same
// thread with a file attached inside the encryption. A copy altered in transit is shown as tampered, never as mail.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from '../../electron/services/app/testing/network.js';
import type { AppServices } from '../../electron/services/app/services.js';
import { startDovecot, startPostfix, type Dovecot, type Postfix } from '../support/mailservers.js';
import { startNetwork, type LocalNetwork } from '../support/network.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/wait.js';

const ADA = { user: 'ada@a.localhost', password: 'ada-pw' };
const BOB = { user: 'bob@b.localhost', password: 'bob-pw' };
const tmp = tempDir('qmail-legacy-encrypted-');
let net: LocalNetwork;
let dovecot: Dovecot;
let postfix: Postfix;
const apps: AppServices[] = [];

type Call = (ch: Parameters<ReturnType<typeof openApp>['call']>[0], input: unknown) => Promise<Record<string, unknown>>;

async function profile(
  name: string,
  who: { user: string; password: string },
): Promise<{ call: Call; address: string; fingerprint: string; accountId: string }> {
  const { services, call } = openApp(tmp.path, name, net.directoryUrl, 1000);
  apps.push(services);
  await call('vault.create', { passphrase: `${name} passphrase 42` });
  const me = await call('identity.create', { name, storage: [net.nodes[0]!.nodeId, net.nodes[1]!.nodeId], beacon: net.nodes[0]!.nodeId });
  const account = await call('accounts.add', {
    account: {
      name: 'Mail',
      preset: 'generic',
      email: who.user,
      displayName: name,
      user: who.user,
      password: who.password,
      incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, tls: 'none' },
      smtp: { host: '127.0.0.1', port: postfix.port, tls: 'none' },
    },
  });
  return { call, address: me.address as string, fingerprint: me.fingerprint as string, accountId: account.id as string };
}

beforeAll(async () => {
  net = await startNetwork(join(tmp.path, 'net'), 3, { pingMaxWaitMs: 1000 });
  dovecot = await startDovecot({ users: [ADA, BOB] });
  postfix = await startPostfix(dovecot, ['a.localhost', 'b.localhost']);
}, 180_000);

afterAll(async () => {
  for (const a of apps) {
    await a.mail.stop();
    a.close();
  }
  await postfix?.stop();
  await dovecot?.stop();
  await net?.stop();
  tmp.remove();
}, 60_000);

describe('encrypted mail between two QMail Desktop profiles over email accounts', () => {
  it('L3 through Postfix and Dovecot: opaque on the way, decrypted with its certificate by the recipient, answered in the same thread; an altered copy is shown as tampered', async () => {
    const ada = await profile('Ada', ADA);
    const bob = await profile('Bob', BOB);

    const sent = await ada.call('legacy.send', {
      accountId: ada.accountId,
      to: [BOB.user],
      subject: 'Launch codes',
      body: 'The launch is at dawn.',
      encryptFor: { address: bob.address, level: 'L3' },
    });
    const raw = await until('delivery to Bob', () => dovecot.mailOf(BOB.user).find((m) => m.includes(sent.messageId as string)));
    expect(raw).not.toContain('Launch codes');
    expect(raw).not.toContain('dawn');
    expect(raw).toMatch(/^X-QKD-Security-Level: 3$/im);
    expect(raw).toMatch(/^Subject: Encrypted message \(QMail\)$/m);

    await bob.call('accounts.sync', { id: bob.accountId });
    const rows = (await bob.call('legacy.list', { folder: 'inbox' })).items as { id: string; subject: string; account: string }[];
    expect(rows.map((r) => [r.subject, r.account])).toEqual([['Encrypted message (QMail)', 'Mail']]);
    const view = await bob.call('legacy.get', { id: rows[0]!.id });
    expect(view.problem).toBeUndefined();
    expect(view.subject).toBe('Launch codes');
    expect(view.body).toBe('The launch is at dawn.');
    expect(view.secure).toEqual({ level: 'L3', sender: ada.address, senderFingerprint: ada.fingerprint, keyIds: [] });

    // Bob answers, encrypted back, with a file he attached (staged as the window stages it);
    // Ada's copy names her message: the same thread. The file travels inside the encrypted part.
    const plan = Buffer.from('east gate, 05:40\n'.repeat(4000));
    const up = await bob.call('attachments.begin', { name: 'gate-plan.txt', size: plan.length });
    await bob.call('attachments.chunk', { id: up.id, data: plan.toString('base64') });
    await bob.call('attachments.finish', { id: up.id });
    const answer = await bob.call('legacy.send', {
      accountId: bob.accountId,
      to: [ADA.user],
      subject: 'Re: Launch codes',
      body: 'Dawn it is.',
      inReplyTo: rows[0]!.id,
      encryptFor: { address: ada.address, level: 'L3' },
      staged: [up.id],
    });
    const back = await until('delivery to Ada', () => dovecot.mailOf(ADA.user).find((m) => m.includes(answer.messageId as string)));
    expect(back).toContain(`In-Reply-To: ${sent.messageId as string}`);
    expect(back).not.toContain('gate-plan');
    await ada.call('accounts.sync', { id: ada.accountId });
    const adaRows = (await ada.call('legacy.list', { folder: 'inbox' })).items as { id: string }[];
    const opened = await ada.call('legacy.get', { id: adaRows[0]!.id });
    expect([opened.subject, opened.body, (opened.secure as { sender: string }).sender]).toEqual([
      'Re: Launch codes',
      'Dawn it is.',
      bob.address,
    ]);
    expect(opened.attachments).toEqual([{ index: 0, name: 'gate-plan.txt', size: plan.length }]);
    const part = await ada.call('mail.attachmentPart', { id: adaRows[0]!.id, index: 0, part: 0 });
    expect(Buffer.from(part.data as string, 'base64').equals(plan)).toBe(true);

    // The same message altered on the way (one base64 character of the payload changed).
    const lines = raw.split(/\r?\n/);
    const at = lines.findIndex((l, i) => i > 0 && /^[A-Za-z0-9+/=]{1,75}$/.test(l) && lines[i + 1]?.startsWith('--')) - 2; // in the stripes, near the payload's end
    lines[at] = (lines[at]![0] === 'A' ? 'B' : 'A') + lines[at]!.slice(1);
    await dovecot.deliver(BOB.user, lines.join('\r\n').replace(/^Message-ID: .*$/m, 'Message-ID: <altered-1@a.localhost>'));
    await bob.call('accounts.sync', { id: bob.accountId });
    const all = (await bob.call('legacy.list', { folder: 'inbox' })).items as { id: string }[];
    const views = await Promise.all(all.map((r) => bob.call('legacy.get', { id: r.id })));
    const altered = views.find((v) => v.messageId === '<altered-1@a.localhost>')!;
    expect(altered.problem).toMatchObject({ code: 'tampered' });
    expect(altered.body).toBe('');
    expect(altered.secure).toBeUndefined();
  }, 240_000);
});
