// The qmail command without --profile and --network uses the app's own: the per-user
// profile folder the app opens (or QMAIL_PROFILE) and the network file its embedded network
// writes in <profile>/network. `qmail network where` says which, and whether that network is
// running; commands that need it say how to start it when it is not.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startNetwork, type LocalNetwork } from '../support/network.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(import.meta.dirname, '..', '..', 'bin', 'qmail.js');
const tmp = tempDir('qmail-cli-defaults-');
// A home of its own, so the app's default profile folder is known (README: where the profile lives).
const config = join(tmp.path, 'config');
const appProfile =
  {
    win32: join(config, 'QMail Desktop', 'profile'),
    darwin: join(tmp.path, 'Library', 'Application Support', 'QMail Desktop', 'profile'),
  }[process.platform as string] ?? join(config, 'qmail-desktop', 'profile');
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: tmp.path,
  XDG_CONFIG_HOME: config,
  APPDATA: config,
  QMAIL_PASSPHRASE: 'integration passphrase',
};
delete baseEnv.QMAIL_PROFILE;
delete baseEnv.QMAIL_NETWORK;
let net: LocalNetwork | undefined;

async function cli(args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [qmail, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: (x.stdout ?? '').trim(), stderr: x.stderr ?? '' };
  }
}

interface Where {
  profile: string;
  network: string | null;
  source: string;
  embedded: { file: string; created: boolean; running: boolean; directory?: string; nodes?: number };
}
const where = async (args: string[] = [], env?: NodeJS.ProcessEnv) =>
  JSON.parse((await cli(['network', 'where', '--json', ...args], env)).stdout) as Where;

afterAll(async () => {
  await net?.stop();
  tmp.remove();
}, 30_000);

describe('qmail defaults to the app profile and its embedded network', () => {
  it('network where: the per-user profile, its embedded network file, not created yet', async () => {
    const w = await where();
    expect(w).toMatchObject({
      profile: appProfile,
      network: join(appProfile, 'network', 'network.json'),
      source: 'embedded',
      embedded: { created: false, running: false },
    });
    const text = await cli(['network', 'where']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `profile: ${appProfile}`,
        `network: ${join(appProfile, 'network', 'network.json')} (the app's embedded network)`,
        'embedded network: not created yet (the app makes it on its first start)',
      ].join('\n'),
    );
  });

  it('follows QMAIL_PROFILE, --profile, QMAIL_NETWORK and --network as the app does', async () => {
    const other = join(tmp.path, 'other');
    expect((await where([], { ...baseEnv, QMAIL_PROFILE: other })).profile).toBe(other);
    expect((await where(['--profile', join(tmp.path, 'flag')], { ...baseEnv, QMAIL_PROFILE: other })).profile).toBe(join(tmp.path, 'flag'));
    expect(await where([], { ...baseEnv, QMAIL_NETWORK: join(tmp.path, 'real.json') })).toMatchObject({
      network: join(tmp.path, 'real.json'),
      source: 'env',
    });
    expect(await where(['--network', join(tmp.path, 'flag.json')], { ...baseEnv, QMAIL_NETWORK: 'none' })).toMatchObject({
      network: join(tmp.path, 'flag.json'),
      source: 'flag',
    });
    expect(await where([], { ...baseEnv, QMAIL_NETWORK: 'none' })).toMatchObject({ network: null, source: 'none' });
  });

  it('a command that needs the network says how to start it when it is not running', async () => {
    const r = await cli(['send', '--profile', join(tmp.path, 'nobody'), '--to', '0006.0.1000', '--body', 'hi']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `${join(tmp.path, 'nobody')} has no embedded network yet: start the app (npm start or npm run web) with this profile, or run: qmail network up --dir ${join(tmp.path, 'nobody', 'network')}`,
    );
  });

  it('with the embedded network up, identity, send and inbox need neither flag', async () => {
    const profile = join(tmp.path, 'alice');
    const env = { ...baseEnv, QMAIL_PROFILE: profile };
    // What the app starts in <profile>/network.
    net = await startNetwork(join(profile, 'network'), 5, { pingMaxWaitMs: 1000 });
    const w = await where([], env);
    expect(w.embedded).toMatchObject({ created: true, running: true, directory: net.directoryUrl, nodes: 5 });
    expect((await cli(['network', 'where'], env)).stdout).toContain(`embedded network: running: directory ${net.directoryUrl}, 5 nodes`);

    const created = await cli(['identity', 'create', '--name', 'Alice'], env);
    expect(created.code, created.stderr).toBe(0);
    const address = created.stdout;
    expect(address).toMatch(/^0006\.0\.\d+$/);
    const shown = JSON.parse((await cli(['identity', 'show'], env)).stdout) as { address: string };
    expect(shown.address).toBe(address);
    const sent = await cli(['send', '--to', address, '--subject', 'To myself', '--body', 'hello', '--stripes', '2+1'], env);
    expect(sent.code, sent.stderr).toBe(0);
    let subjects: string[] = [];
    for (let i = 0; i < 40 && !subjects.includes('To myself'); i++) {
      const inbox = await cli(['inbox', '--json'], env);
      expect(inbox.code, inbox.stderr).toBe(0);
      subjects = (JSON.parse(inbox.stdout) as { subject: string }[]).map((m) => m.subject);
      if (!subjects.includes('To myself')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(subjects).toContain('To myself');

    await net.stop();
    net = undefined;
    expect((await where([], env)).embedded).toMatchObject({ created: true, running: false });
    const offline = await cli(['inbox', '--json'], env);
    expect(offline.code).not.toBe(0);
    expect(offline.stderr).toContain(`the app's embedded network (${join(profile, 'network', 'network.json')}) is not running`);
    // What is stored is still listed without the network.
    const stored = await cli(['inbox', '--no-fetch', '--json'], env);
    expect(stored.code, stored.stderr).toBe(0);
    expect((JSON.parse(stored.stdout) as { subject: string }[]).map((m) => m.subject)).toContain('To myself');
  }, 180_000);
});
