// Onboarding against real nodes: when the chosen beacon refuses (here: it is down), the
// error names what the server or the connection said, not only that it refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAppServices } from '../app/services.js';
import { startNetwork, type LocalNetwork } from '../../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../../tests/support/tmp.js';

const tmp = tempDir('qmail-onboard-');
let net: LocalNetwork;

beforeAll(async () => {
  net = await startNetwork(join(tmp.path, 'net'), 3);
}, 90_000);

afterAll(async () => {
  await net?.stop();
  tmp.remove();
}, 30_000);

it('a beacon that refuses the registration is named with its reason', async () => {
  await net.kill(0);
  const app = createAppServices({
    profileDir: join(tmp.path, 'p'),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.directoryUrl,
    autoStart: false,
  });
  try {
    await app.vault.create('correct horse battery');
    const ids = net.nodes.map((n) => n.nodeId);
    const err = await app.mail.createIdentity('Ada', { storage: ids.slice(1), beacon: ids[0]! }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^The chosen beacon did not accept the registration \(.+\); choose another one\.$/);
  } finally {
    app.close();
  }
}, 60_000);
