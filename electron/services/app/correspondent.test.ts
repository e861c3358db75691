// app.correspondent through the dispatcher: the embedded network's correspondent once it is
// up (named when the directory answers), nothing on a network without one.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createDispatcher } from '../../../shared/ipc/index.js';
import { tempDir, TEST_KDF } from '../../../tests/support/tmp.js';
import { createAppServices, type AppServices, type AppServicesOptions } from './services.js';

let dir: { path: string; remove: () => void } | undefined;
let services: AppServices | undefined;

afterEach(() => {
  services?.close();
  services = undefined;
  dir?.remove();
});

function open(extra: Partial<AppServicesOptions>) {
  dir = tempDir();
  services = createAppServices({ profileDir: join(dir.path, 'profile'), host: 'web', version: '1.0.0', kdf: TEST_KDF, autoStart: false, ...extra });
  return createDispatcher(services.handlers, (e) => {
    throw e;
  });
}

describe('app.correspondent', () => {
  it('gives the address once the correspondent is up (its name comes from the directory, asked only while unlocked)', async () => {
    const dispatch = open({ correspondent: Promise.resolve('0006.0.1234'), directoryUrl: 'http://127.0.0.1:9/' });
    expect(await dispatch('app.correspondent', {})).toEqual({ ok: true, value: { address: '0006.0.1234' } });
  });

  it('is empty where no correspondent runs (another network, or it did not start)', async () => {
    expect(await open({})('app.correspondent', {})).toEqual({ ok: true, value: {} });
    services?.close();
    dir?.remove();
    expect(await open({ correspondent: Promise.resolve(undefined) })('app.correspondent', {})).toEqual({ ok: true, value: {} });
  });
});
