// A KME that forgets keys (a qmail-kme pair without a key store, restarted between the send
// and the receive): the recipient does not retry for hours, it gives up after a few tries
// with a notice that names the sender and says what happened; the built-in correspondent
// answers such a qmail at L3, saying it could not open it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startKmePair, type KmePair } from '../../server/kme/index.js';
import { runCorrespondent } from '../../dev-network/correspondent/bot.js';
import { startNetwork, type LocalNetwork } from '../support/network.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const tmp = tempDir('qmail-qkd-forgotten-');

async function restartKme(): Promise<void> {
  const ports = { portA: Number(new URL(kme.kmeA.url).port), portB: Number(new URL(kme.kmeB.url).port) };
  await kme.close();
  kme = await startKmePair({ dir: kmeDir, ...ports });
}
const kmeDir = join(tmp.path, 'kme');
let net: LocalNetwork;
let kme: KmePair;
let alice: AppServices;
let bob: AppServices;
let clock = Date.now();

beforeAll(async () => {
  [net, kme] = await Promise.all([startNetwork(join(tmp.path, 'net'), 3, { pingMaxWaitMs: 1000 }), startKmePair({ dir: kmeDir })]);
  const open = (name: string, now?: () => number) =>
    createAppServices({
      profileDir: join(tmp.path, name),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      directoryUrl: net.directoryUrl,
      autoStart: false,
      mail: { qkd: { prefetchKeys: 0 } },
      ...(now ? { now } : {}),
    });
  alice = open('alice');
  bob = open('bob', () => clock);
  await alice.vault.create('alice passphrase');
  await bob.vault.create('bob passphrase');
  await alice.mail.createIdentity('Alice');
  await bob.mail.createIdentity('Bob');
  alice.mail.qkd.import(kme.configPath, 'A');
  bob.mail.qkd.import(kme.configPath, 'B');
}, 120_000);

afterAll(async () => {
  for (const a of [alice, bob]) {
    if (!a) continue;
    await a.mail.stop();
    a.close();
  }
  await kme?.close();
  await net?.stop();
  tmp.remove();
}, 30_000);

describe('an L2 qmail whose keys the recipient KME forgot', () => {
  it('is given up after a few attempts with a notice naming the sender, not retried for hours', async () => {
    const from = alice.mail.me().address;
    alice.mail.start({ receive: false });
    const item = await alice.mail.send({
      to: [bob.mail.me().address],
      cc: [],
      subject: 'Lost keys',
      body: 'You will not read this.',
      attachments: [],
      level: 'L2',
      stripes: { k: 2, p: 1 },
    });
    expect((await alice.mail.waitFor(item.id)).state).toBe('sent');

    // The pair restarts with nothing kept: KME B no longer has the key alice's capsule names.
    await restartKme();

    const notices: { level: string; title: string; body: string }[] = [];
    bob.subscribe((event, payload) => {
      if (event === 'notify') notices.push(payload as (typeof notices)[number]);
    });
    expect(await bob.mail.refresh()).toBe(0);
    let attempts = 1;
    while (notices.length === 0 && attempts < 10) {
      clock += 10 * 60_000; // past any backoff
      expect(await bob.mail.retryPending()).toBe(0);
      attempts++;
    }
    expect(attempts).toBe(4);
    expect(notices).toEqual([
      expect.objectContaining({
        level: 'warning',
        title: `A qmail from ${from} could not be opened`,
        body: expect.stringContaining(`our KME does not have the QKD keys of this L2 qmail from ${from}; ask the sender to send it again`),
      }),
    ]);
    expect(notices[0]!.body).toContain('the KME does not have key_ID');
    expect(bob.messages.list('inbox', 0, 10).items).toEqual([]);
    expect(bob.db.prepare('SELECT COUNT(*) AS n FROM mail_pending').get()).toEqual({ n: 0 });
  }, 120_000);

  it('is answered by the correspondent at L3, saying it could not be opened and why', async () => {
    const startBot = () =>
      runCorrespondent({
        profile: join(tmp.path, 'bot'),
        network: net.networkFile,
        passphrase: 'correspondent passphrase',
        kdf: TEST_KDF,
        kme: { path: kme.configPath },
      });
    // Its identity first; it is stopped while the qmail waits on its beacon, so it cannot
    // fetch the key before the KME pair restarts.
    let bot = await startBot();
    await bot.stop();
    const carol = createAppServices({
      profileDir: join(tmp.path, 'carol'),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      directoryUrl: net.directoryUrl,
      mail: { pingWaitMs: 1000, qkd: { prefetchKeys: 0 } },
    });
    try {
      await carol.vault.create('carol passphrase');
      await carol.mail.createIdentity('Carol');
      carol.mail.qkd.import(kme.configPath, 'A');
      carol.mail.start();
      const answered = new Promise<string>((res) => {
        carol.subscribe((event, payload) => {
          const p = payload as { id: string; subject: string };
          if (event === 'mail.received' && p.subject === 'Your qmail could not be opened') res(p.id);
        });
      });
      const item = await carol.mail.send({
        to: [bot.address],
        cc: [],
        subject: 'Keys that will be lost',
        body: 'Hello',
        attachments: [],
        level: 'L2',
        stripes: { k: 2, p: 1 },
      });
      expect((await carol.mail.waitFor(item.id)).state).toBe('sent');
      const sent = carol.mail.view(carol.messages.list('sent', 0, 10).items[0]!.id)!;
      const keyId = sent.certificate!.qkd![0]!.keys[0]!.keyId;
      await restartKme();
      bot = await startBot();

      const answer = carol.mail.view(await answered)!;
      expect(answer.from).toBe(bot.address);
      expect(answer.certificate).toMatchObject({ level: 'L3', signatureVerified: true });
      expect(answer.body).toContain('I could not open it: my KME does not have the QKD keys its capsule names');
      expect(answer.body).toContain(`the KME does not have key_ID ${keyId}`);
      expect(bot.app.messages.list('inbox', 0, 10).items).toEqual([]);
    } finally {
      await bot.stop();
      await carol.mail.stop();
      carol.close();
    }
  }, 120_000);
});
