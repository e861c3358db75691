// The app services against a local network in tests: the network and the profiles of one
// test file (made before, all stopped and removed after), a sender profile that only sends,
// an app opened as the host runs it with the contract's dispatcher, and its events awaited.
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { createDispatcher, type EventName, type RequestName } from '../../../../shared/ipc/index.js';
import { startNetwork, type LocalNetwork } from '../../../../tests/support/network.js';
import { TEST_KDF, tempDir } from '../../../../tests/support/tmp.js';
import { createAppServices, type AppServices, type AppServicesOptions } from '../services.js';

export interface TestNetwork {
  /** The running network (set once the file's beforeAll ran). */
  readonly net: LocalNetwork;
  /** The file's temporary folder: profiles go in it, and the network in net/. */
  readonly dir: string;
  /** A profile with a vault and an identity, its storage on `storage` (node indexes; all by default) and its beacon on node `beacon`. */
  user(
    key: string,
    name: string,
    opts?: { storage?: number[]; beacon?: number; mail?: AppServicesOptions['mail']; log?: AppServicesOptions['log'] },
  ): Promise<{ app: AppServices; address: string }>;
  /** A profile's app on this network (tracked), without a vault yet: `profile` in the file's folder, options added to the tests' own. */
  open(profile: string, opts?: Pick<AppServicesOptions, 'mail' | 'log' | 'chips' | 'now'>): AppServices;
  /** Stops and closes this profile with the network (made elsewhere, e.g. by openApp). */
  track<T extends AppServices | undefined>(app: T): T;
}

/**
 * A local network of `nodes` qmail-server processes for the tests of one file: started in
 * beforeAll, and after all the profiles made or tracked on it are stopped and closed, the
 * network stopped and the folder removed.
 */
export function useTestNetwork(prefix: string, nodes: number, nodeOptions: Parameters<typeof startNetwork>[2] = {}): TestNetwork {
  const tmp = tempDir(prefix);
  const apps: AppServices[] = [];
  let net: LocalNetwork | undefined;
  beforeAll(async () => {
    net = await startNetwork(join(tmp.path, 'net'), nodes, nodeOptions);
  }, 120_000);
  afterAll(async () => {
    for (const app of apps) {
      await app.mail.stop();
      app.close();
    }
    await net?.stop();
    tmp.remove();
  }, 30_000);
  const world: TestNetwork = {
    get net() {
      if (!net) throw new Error('the test network is not up yet');
      return net;
    },
    dir: tmp.path,
    open(profile, opts = {}) {
      return world.track(
        createAppServices({
          profileDir: join(tmp.path, profile),
          host: 'web',
          version: 'test',
          kdf: TEST_KDF,
          directoryUrl: world.net.directoryUrl,
          autoStart: false,
          ...opts,
        }),
      );
    },
    async user(key, name, opts = {}) {
      const ids = world.net.nodes.map((n) => n.nodeId);
      const app = world.open(key, { ...(opts.mail ? { mail: opts.mail } : {}), ...(opts.log ? { log: opts.log } : {}) });
      await app.vault.create('correct horse battery');
      const storage = (opts.storage ?? ids.map((_, i) => i)).map((i) => ids[i]!);
      const { address } = await app.mail.createIdentity(name, { storage, beacon: ids[opts.beacon ?? 0]! });
      return { app, address: address! };
    },
    track(app) {
      if (app) apps.push(app);
      return app;
    },
  };
  return world;
}

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
  const item = sender.mail.queue({
    to: [to],
    cc: [],
    subject,
    body: `${subject}, body`,
    attachments: [],
    level: 'L3',
    stripes: { k: 2, p: 1 },
  });
  expect((await sender.mail.waitFor(item.id)).state).toBe('sent');
}

/** The app services as the host runs them (autoStart on), called through the contract's dispatcher; `calls` records each channel. */
export function openApp(dir: string, name: string, directoryUrl: string, pingWaitMs: number, calls: RequestName[] = []) {
  const services = createAppServices({
    profileDir: join(dir, name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl,
    mail: { pingWaitMs },
  });
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
