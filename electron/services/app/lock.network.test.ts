// A qmail sent while the app is locked is not lost: the ping the receive loop had parked on
// the beacon goes with the lock, and the beacon keeps the Tell for the next unlock. The app
// services on a real local network, through the contract's dispatcher, as the window uses them.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { AppServices } from './services.js';
import { nextEvent, openApp, sendFrom, startSender, useTestNetwork } from './testing/network.js';
import { keptLookups } from '../mail/lookups.js';

// Pings park for up to 20 s, so the one the loop has parked is still parked when the app locks.
const world = useTestNetwork('qmail-app-lock-', 3, { pingMaxWaitMs: 20_000 });
let app: AppServices | undefined;
let sender: AppServices | undefined;

beforeAll(async () => {
  sender = world.track(await startSender(join(world.dir, 'sender'), world.net.directoryUrl));
}, 120_000);

describe('locking the app while a ping is parked', () => {
  it('loses nothing: a qmail sent while locked arrives after unlock', async () => {
    const opened = openApp(world.dir, 'app', world.net.directoryUrl, 20_000);
    app = world.track(opened.services);
    const { call } = opened;
    await call('vault.create', { passphrase: 'correct horse battery' });
    const address = (
      await call('identity.create', {
        name: 'Ada',
        storage: [world.net.nodes[0]!.nodeId, world.net.nodes[1]!.nodeId],
        beacon: world.net.nodes[0]!.nodeId,
      })
    ).address as string;

    const first = nextEvent<{ subject: string }>(app, 'mail.received', (p) => p.subject === 'Before the lock');
    await sendFrom(sender!, address, 'Before the lock');
    await first;
    // The loop pings again as soon as that message is stored. The node is another process
    // and says nothing when a ping parks, so give that ping a moment to reach it.
    await new Promise((r) => setTimeout(r, 750));

    // The directory's answers the send and the receive were given are kept a few seconds
    // (mail/lookups.ts), and dropped with the lock.
    expect(keptLookups()).toBeGreaterThan(0);
    await call('vault.lock', {});
    expect(keptLookups()).toBe(0);
    await sendFrom(sender!, address, 'While locked');

    const arrived = nextEvent<{ subject: string }>(app, 'mail.received', (p) => p.subject === 'While locked');
    await call('vault.unlock', { passphrase: 'correct horse battery' });
    await arrived;
    const subjects = ((await call('mail.list', { folder: 'inbox', offset: 0, limit: 10 })).items as { subject: string }[])
      .map((m) => m.subject)
      .sort();
    expect(subjects).toEqual(['Before the lock', 'While locked']);
  }, 120_000);
});
