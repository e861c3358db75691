// The app services on a real local network, through the contract's dispatcher, the way the
// window uses them: incoming mail arrives by itself from the first identity on, with no
// "Check mail" (mail.refresh) anywhere, and again after lock and unlock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createDispatcher, type EventName, type RequestName } from '../../../shared/ipc/index.js';
import { startNetwork, type LocalNetwork } from '../../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../../tests/support/tmp.js';
import { createAppServices, type AppServices } from './services.js';

const tmp = tempDir('qmail-app-services-');
let net: LocalNetwork;
let app: AppServices;
let sender: AppServices;
const calls: RequestName[] = [];

beforeAll(async () => {
  net = await startNetwork(join(tmp.path, 'net'), 3, { pingMaxWaitMs: 1000 });
  sender = createAppServices({ profileDir: join(tmp.path, 'sender'), host: 'web', version: 'test', kdf: TEST_KDF, directoryUrl: net.directoryUrl, autoStart: false });
  await sender.vault.create('sender passphrase');
  await sender.mail.createIdentity('Grace');
  sender.mail.start({ receive: false });
}, 120_000);

afterAll(async () => {
  app?.close();
  if (sender) {
    await sender.mail.stop();
    sender.close();
  }
  await net?.stop();
  tmp.remove();
}, 30_000);

/** The next event of that name from the services, as the renderer would get it. */
function next<T>(services: AppServices, name: EventName, match: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((res) => {
    const off = services.subscribe((event, payload) => {
      if (event === name && match(payload as T)) {
        off();
        res(payload as T);
      }
    });
  });
}

async function send(to: string, subject: string): Promise<void> {
  const item = sender.mail.queue({ to: [to], cc: [], subject, body: `${subject}, body`, attachments: [], level: 'L3', stripes: { k: 2, p: 1 } });
  expect((await sender.mail.waitFor(item.id)).state).toBe('sent');
}

describe('the receive loop of the app services', () => {
  it('starts with the first identity and after unlock, and delivers mail without mail.refresh', async () => {
    // The app as the host runs it: autoStart on (the default), a fresh profile.
    app = createAppServices({ profileDir: join(tmp.path, 'app'), host: 'web', version: 'test', kdf: TEST_KDF, directoryUrl: net.directoryUrl, mail: { pingWaitMs: 1000 } });
    const dispatch = createDispatcher(app.handlers, (e) => {
      throw e;
    });
    const call = async (ch: RequestName, input: unknown) => {
      calls.push(ch);
      const r = await dispatch(ch, input);
      if (!r.ok) throw new Error(`${ch}: ${r.error.code} ${r.error.message}`);
      return r.value as Record<string, unknown>;
    };

    // Onboarding: the vault first (no identity yet, nothing to poll), then the identity.
    await call('vault.create', { passphrase: 'correct horse battery' });
    const me = await call('identity.create', { name: 'Ada' });
    const address = me.address as string;

    const first = next<{ id: string; subject: string }>(app, 'mail.received', (p) => p.subject === 'First by itself');
    const changed = next<{ folders: string[] }>(app, 'mail.changed', (p) => p.folders.includes('inbox'));
    await send(address, 'First by itself');
    const got = await first;
    expect((await changed).folders).toContain('inbox');
    const inbox = (await call('mail.list', { folder: 'inbox', offset: 0, limit: 10 })).items as { id: string; subject: string; from: string }[];
    expect(inbox.map((m) => m.subject)).toEqual(['First by itself']);
    expect(inbox[0]!.id).toBe(got.id);

    // Lock stops the loop; unlock starts it again.
    await call('vault.lock', {});
    await call('vault.unlock', { passphrase: 'correct horse battery' });
    const second = next<{ subject: string }>(app, 'mail.received', (p) => p.subject === 'After unlock');
    await send(address, 'After unlock');
    await second;
    const subjects = ((await call('mail.list', { folder: 'inbox', offset: 0, limit: 10 })).items as { subject: string }[]).map((m) => m.subject).sort();
    expect(subjects).toEqual(['After unlock', 'First by itself']);
    expect(calls).not.toContain('mail.refresh');
  }, 120_000);
});
