// The correspondent on a real network with a real KME pair whose pool holds one key: the
// user (side A) takes it for an L2 qmail, the correspondent (side B) opens it with that key
// from its own KME, finds no key left for an L2 answer, and answers at L3 saying why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { startKmePair, type KmePair } from '../../server/kme/index.js';
import { startNetwork, type LocalNetwork } from '../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../tests/support/tmp.js';
import { runCorrespondent, type Correspondent } from './bot.js';

const tmp = tempDir('qmail-correspondent-');
let net: LocalNetwork;
let kme: KmePair;
let bot: Correspondent;
let user: AppServices;

beforeAll(async () => {
  [net, kme] = await Promise.all([
    startNetwork(join(tmp.path, 'net'), 3, { pingMaxWaitMs: 1000 }),
    // One 256-bit key in all, never refilled.
    startKmePair({ dir: join(tmp.path, 'kme'), capacityBits: 256, fillRateBitsPerSecond: 0 }),
  ]);
  bot = await runCorrespondent({
    profile: join(tmp.path, 'bot'),
    network: net.networkFile,
    passphrase: 'correspondent passphrase',
    kdf: TEST_KDF,
    kme: { path: kme.configPath },
  });
  user = createAppServices({
    profileDir: join(tmp.path, 'user'),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.directoryUrl,
    autoStart: false,
    mail: { qkd: { prefetchKeys: 0 } },
  });
  await user.vault.create('correct horse battery');
  await user.mail.createIdentity('Ada');
  user.mail.qkd.import(kme.configPath, 'A');
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  if (user) {
    await user.mail.stop();
    user.close();
  }
  await kme?.close();
  await net?.stop();
  tmp.remove();
}, 30_000);

describe('the correspondent when its KME has no key for the answer', () => {
  it('opens the L2 qmail with the key KME B delivered and answers at L3, saying why', async () => {
    expect(bot.app.mail.qkd.state().settings).toMatchObject({ saeId: 'SAE_BOB', defaultPeerSaeId: 'SAE_ALICE' });
    user.mail.start();
    const item = await user.mail.send({
      to: [bot.address],
      cc: [],
      subject: 'The last key',
      body: 'One key left.',
      attachments: [],
      level: 'L2',
      stripes: { k: 2, p: 1 },
    });
    expect((await user.mail.waitFor(item.id)).state).toBe('sent');
    const sent = user.messages.list('sent', 0, 10).items.find((m) => m.subject === 'The last key')!;
    const sentKeys = user.mail.view(sent.id)!.certificate!.qkd![0]!.keys.map((k) => k.keyId);
    expect(sentKeys).toHaveLength(1);

    let answerId: string | undefined;
    for (let i = 0; i < 80 && !answerId; i++) {
      await user.mail.refresh();
      answerId = user.messages.list('inbox', 0, 10).items.find((m) => m.subject === 'Re: The last key')?.id;
      if (!answerId) await new Promise((r) => setTimeout(r, 250));
    }
    expect(answerId).toBeDefined();
    const answer = user.mail.view(answerId!)!;
    expect(answer.level).toBe('L3');
    expect(answer.certificate).toMatchObject({ level: 'L3', quantumSecured: false, signatureVerified: true });
    expect(answer.body).toContain(`Opened with QKD keys from KME_B: ${sentKeys[0]}`);
    expect(answer.body).toMatch(/I could not answer at L2: key pool exhausted[^\n]*\. This answer comes at L3 \(post-quantum\) instead\./);
    // The answer is threaded to the qmail it answers.
    expect(answer.thread).toEqual({ inReplyTo: sent.id, size: 2 });
    // The correspondent's copy records the fallback too.
    const copy = bot.app.messages.list('sent', 0, 10).items.find((m) => m.subject === 'Re: The last key')!;
    expect(bot.app.mail.view(copy.id)!.certificate!.fallback).toMatchObject({ from: 'L2' });
  }, 120_000);
});
