// The app services on a real local network, through the contract's dispatcher, the way the
// window uses them: incoming mail arrives by itself from the first identity on, with no
// "Check mail" (mail.refresh) anywhere, and again after lock and unlock, and for an identity
// restored from its recovery phrase.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { RequestName } from '../../../shared/ipc/index.js';
import { TEST_KDF } from '../../../tests/support/tmp.js';
import { createAppServices, type AppServices } from './services.js';
import { nextEvent as next, openApp as open, sendFrom, startSender, useTestNetwork } from './testing/network.js';

const world = useTestNetwork('qmail-app-services-', 4, { pingMaxWaitMs: 1000 });
let app: AppServices;
let restored: AppServices | undefined;
let sender: AppServices;
const calls: RequestName[] = [];

beforeAll(async () => {
  sender = world.track(await startSender(join(world.dir, 'sender'), world.net.directoryUrl));
}, 120_000);

/** The app services as the host runs them (autoStart on), with the contract's dispatcher. */
const openApp = (name: string) => open(world.dir, name, world.net.directoryUrl, 1000, calls);
const send = (to: string, subject: string) => sendFrom(sender, to, subject);

describe('the receive loop of the app services', () => {
  it('starts with the first identity and after unlock, and delivers mail without mail.refresh', async () => {
    // The app as the host runs it: autoStart on (the default), a fresh profile.
    const opened = openApp('app');
    app = world.track(opened.services);
    const call = opened.call;

    // Onboarding: the vault first (no identity yet, nothing to poll), then the identity.
    await call('vault.create', { passphrase: 'correct horse battery' });
    // On the first two servers, so that a restore (below) can hire the other two.
    const me = await call('identity.create', {
      name: 'Ada',
      storage: [world.net.nodes[0]!.nodeId, world.net.nodes[1]!.nodeId],
      beacon: world.net.nodes[0]!.nodeId,
    });
    const address = me.address as string;

    const first = next<{ id: string; subject: string }>(app, 'mail.received', (p) => p.subject === 'First by itself');
    const changed = next<{ folders: string[] }>(app, 'mail.changed', (p) => p.folders.includes('inbox'));
    await send(address, 'First by itself');
    const got = await first;
    expect((await changed).folders).toContain('inbox');
    const inbox = (await call('mail.list', { folder: 'inbox', offset: 0, limit: 10 })).items as {
      id: string;
      subject: string;
      from: string;
    }[];
    expect(inbox.map((m) => m.subject)).toEqual(['First by itself']);
    expect(inbox[0]!.id).toBe(got.id);

    // Lock stops the loop; unlock starts it again.
    await call('vault.lock', {});
    await call('vault.unlock', { passphrase: 'correct horse battery' });
    const second = next<{ subject: string }>(app, 'mail.received', (p) => p.subject === 'After unlock');
    await send(address, 'After unlock');
    await second;
    const subjects = ((await call('mail.list', { folder: 'inbox', offset: 0, limit: 10 })).items as { subject: string }[])
      .map((m) => m.subject)
      .sort();
    expect(subjects).toEqual(['After unlock', 'First by itself']);
    expect(calls).not.toContain('mail.refresh');
  }, 120_000);

  it('starts right after an identity is restored from its recovery phrase', async () => {
    // The identity first lives in another profile, on the first two servers.
    const original = createAppServices({
      profileDir: join(world.dir, 'original'),
      host: 'web',
      version: 'test',
      kdf: TEST_KDF,
      directoryUrl: world.net.directoryUrl,
      autoStart: false,
    });
    let phrase: string;
    let address: string;
    try {
      await original.vault.create('original passphrase');
      const made = await original.mail.createIdentity('Bea', {
        storage: [world.net.nodes[0]!.nodeId, world.net.nodes[1]!.nodeId],
        beacon: world.net.nodes[0]!.nodeId,
      });
      phrase = made.recoveryPhrase;
      address = made.address!;
    } finally {
      original.close();
    }

    const opened = openApp('restored');
    restored = world.track(opened.services);
    await opened.call('vault.create', { passphrase: 'restored passphrase' });
    const back = await opened.call('identity.restore', {
      phrase,
      storage: [world.net.nodes[2]!.nodeId, world.net.nodes[3]!.nodeId],
      beacon: world.net.nodes[2]!.nodeId,
    });
    expect(back.address).toBe(address);
    const got = next<{ subject: string }>(restored, 'mail.received', (p) => p.subject === 'After the restore');
    await send(address, 'After the restore');
    await got;
    expect(calls).not.toContain('mail.refresh');
  }, 120_000);
});
