// L1 and L2 across a restart of everything, as the embedded default runs it: a local network
// with its KME pair and the built-in correspondent (a child process taking keys from side B),
// and the app services whose profile takes side A by itself. Both ends keep keys fetched
// ahead in their sealed caches; the KME pair keeps the keys it handed out in its key store,
// so after the restart the same IDs still open the capsules, and the correspondent answers.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { correspondentService, kmeService, type CorrespondentInfo, type KmeServiceInfo } from '../../dev-network/services.js';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const tmp = tempDir('qmail-qkd-restart-');
const netDir = join(tmp.path, 'network');
const profile = join(tmp.path, 'profile');
const PASS = 'correct horse battery';
let net: LocalNetwork | undefined;
let app: AppServices | undefined;

afterAll(async () => {
  await stopAll();
  tmp.remove();
}, 60_000);

async function startAll(): Promise<{ bot: string }> {
  net = await startLocalNetwork({
    dir: netDir,
    nodes: 3,
    nodeConfig: { limits: { pingMaxWaitMs: 1000 }, log: { level: 'warn' } },
    services: [kmeService(), correspondentService({ passphrase: 'correspondent passphrase' })],
  });
  const kme = net.network.services.kme as KmeServiceInfo;
  app = createAppServices({
    profileDir: profile,
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.network.directory.url,
    localKmeFile: kme.config,
    mail: { pingWaitMs: 1000 },
  });
  return { bot: (net.network.services.correspondent as CorrespondentInfo).address };
}

async function stopAll(): Promise<void> {
  if (app) {
    await app.mail.stop();
    app.close();
    app = undefined;
  }
  await net?.close();
  net = undefined;
}

/** Sends at `level` and waits for the correspondent's answer (pushed by the receive loop). */
async function roundTrip(bot: string, level: 'L1' | 'L2', subject: string) {
  const a = app!;
  const answered = new Promise<string>((res) => {
    const off = a.subscribe((event, payload) => {
      const p = payload as { id: string; subject: string };
      if (event === 'mail.received' && p.subject === `Re: ${subject}`) {
        off();
        res(p.id);
      }
    });
  });
  const item = await a.mail.send({
    to: [bot],
    cc: [],
    subject,
    body: `${level} after all`,
    attachments: [],
    level,
    stripes: { k: 2, p: 1 },
  });
  const done = await a.mail.waitFor(item.id);
  expect(done).toMatchObject({ state: 'sent', level });
  const sent = a.mail.view(a.messages.list('sent', 0, 50).items.find((m) => m.subject === subject)!.id)!;
  expect(sent.certificate).toMatchObject({ level, quantumSecured: true });
  const sentKeys = sent.certificate!.qkd![0]!.keys.map((k) => k.keyId);
  const answer = a.mail.view(await answered)!;
  // Answered at the level asked, with the keys the sender's copy names, opened by KME B.
  expect(answer.certificate).toMatchObject({ level, quantumSecured: true, signatureVerified: true });
  expect(answer.body).toContain(`"${subject}" arrived intact`);
  expect(answer.body).toContain(`Opened with QKD keys from KME_B: ${sentKeys.join(', ')}`);
  expect(answer.body).toContain(`This answer is sealed at ${level} with fresh QKD keys`);
  return { sentKeys, answerKeys: answer.certificate!.qkd![0]!.keys.map((k) => k.keyId) };
}

describe('L1 and L2 with the embedded KME pair across a restart', () => {
  it('round trips before and after the whole network and the app restart', async () => {
    let { bot } = await startAll();
    // As the window does it: the contract's handlers (the receive loop starts by itself).
    await app!.handlers['vault.create']({ passphrase: PASS });
    await app!.handlers['identity.create']({ name: 'Ada' });
    expect(await app!.handlers['qkd.settings.get']({})).toMatchObject({ configured: true, settings: { saeId: 'SAE_ALICE' } });
    const before = [await roundTrip(bot, 'L1', 'L1 before'), await roundTrip(bot, 'L2', 'L2 before')];
    // Both ends hold keys fetched ahead that the KMEs handed out before the restart.
    const cached = (app!.db.prepare('SELECT COUNT(*) AS n FROM qkd_cache_keys').get() as { n: number }).n;
    expect(cached).toBeGreaterThan(0);

    await stopAll();
    ({ bot } = await startAll());
    await app!.handlers['vault.unlock']({ passphrase: PASS });
    const after = [await roundTrip(bot, 'L1', 'L1 after'), await roundTrip(bot, 'L2', 'L2 after')];
    // The first sends after the restart take keys from the cache filled before it.
    expect((app!.db.prepare('SELECT COUNT(*) AS n FROM qkd_cache_keys').get() as { n: number }).n).toBeLessThan(cached);
    const all = [...before, ...after].flatMap((r) => [...r.sentKeys, ...r.answerKeys]);
    expect(new Set(all).size).toBe(all.length);
  }, 240_000);
});
