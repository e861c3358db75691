// The app services against a local network in tests: a sender profile that only sends, an
// app opened as the host runs it with the contract's dispatcher, and its events awaited.
import { join } from 'node:path';
import { expect } from 'vitest';
import { createDispatcher, type EventName, type RequestName } from '../../../../shared/ipc/index.js';
import { TEST_KDF } from '../../../../tests/support/tmp.js';
import { createAppServices, type AppServices } from '../services.js';

/** A profile with an identity that sends and never receives (its outbox runs). */
export async function startSender(profileDir: string, directoryUrl: string): Promise<AppServices> {
  const sender = createAppServices({ profileDir, host: 'web', version: 'test', kdf: TEST_KDF, directoryUrl, autoStart: false });
  await sender.vault.create('sender passphrase');
  await sender.mail.createIdentity('Grace');
  sender.mail.start({ receive: false });
  return sender;
}

/** Queues an L3 qmail from `sender` and waits until it is sent. */
export async function sendFrom(sender: AppServices, to: string, subject: string): Promise<void> {
  const item = sender.mail.queue({ to: [to], cc: [], subject, body: `${subject}, body`, attachments: [], level: 'L3', stripes: { k: 2, p: 1 } });
  expect((await sender.mail.waitFor(item.id)).state).toBe('sent');
}

/** The app services as the host runs them (autoStart on), called through the contract's dispatcher; `calls` records each channel. */
export function openApp(dir: string, name: string, directoryUrl: string, pingWaitMs: number, calls: RequestName[] = []) {
  const services = createAppServices({ profileDir: join(dir, name), host: 'web', version: 'test', kdf: TEST_KDF, directoryUrl, mail: { pingWaitMs } });
  const dispatch = createDispatcher(services.handlers, (e) => {
    throw e;
  });
  const call = async (ch: RequestName, input: unknown) => {
    calls.push(ch);
    const r = await dispatch(ch, input);
    if (!r.ok) throw new Error(`${ch}: ${r.error.code} ${r.error.message}`);
    return r.value as Record<string, unknown>;
  };
  return { services, call };
}

/** The next event of that name from the services, as the renderer would get it. */
export function nextEvent<T>(services: AppServices, name: EventName, match: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((res) => {
    const off = services.subscribe((event, payload) => {
      if (event === name && match(payload as T)) {
        off();
        res(payload as T);
      }
    });
  });
}
