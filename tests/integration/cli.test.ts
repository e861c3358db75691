// The CLI and the correspondent as real processes against real servers: a 5-node network
// with the correspondent (`qmail correspondent`, spawned by the launcher), an identity made
// with `qmail identity create`, a qmail with an attachment sent with `qmail send`, the
// automatic answer listed by `qmail inbox --json` and shown by `qmail read --json`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startNetwork, type LocalNetwork } from '../support/network.js';
import { correspondentService, kmeService, type CorrespondentInfo } from '../../dev-network/services.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const env = { ...process.env, QMAIL_PASSPHRASE: 'integration passphrase' };
const tmp = tempDir('qmail-cli-');
let net: LocalNetwork;
let bot: CorrespondentInfo;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [qmail, ...args], { env, timeout: 60_000 });
  return stdout.trim();
}

/** The correspondent's answer to `subject`, fetched by `qmail inbox` (a separate process has no event to wait on). */
async function answerTo(profile: string, subject: string): Promise<{ id: string; subject: string; from: string } | undefined> {
  for (let i = 0; i < 40; i++) {
    const list = JSON.parse(await cli('inbox', '--profile', profile, '--network', net.networkFile, '--json')) as {
      id: string;
      subject: string;
      from: string;
    }[];
    const reply = list.find((m) => m.subject === `Re: ${subject}` && m.from === bot.address);
    if (reply) return reply;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The correspondent answers at once: `qmail send` sends without polling the beacon, so an
// answer that lands while it exits stays on the beacon for `qmail inbox` to fetch.
beforeAll(async () => {
  // With the KME pair, as the embedded network runs it: the correspondent takes side B.
  net = await startNetwork(join(tmp.path, 'net'), 5, {
    pingMaxWaitMs: 1000,
    services: [kmeService(), correspondentService({ passphrase: 'correspondent passphrase' })],
  });
  bot = net.launched.network.services.correspondent as CorrespondentInfo;
}, 120_000);

afterAll(async () => {
  await net?.stop();
  tmp.remove();
}, 30_000);

describe('qmail CLI with the correspondent', () => {
  it('the correspondent is a running process listed in network.json', () => {
    expect(bot.address).toMatch(/^0006\.0\.\d+$/);
    expect(alive(bot.pid)).toBe(true);
  });

  it('creates an identity, sends with an attachment, and reads the automatic answer', async () => {
    const profile = join(tmp.path, 'alice');
    const address = await cli('identity', 'create', '--profile', profile, '--network', net.networkFile, '--name', 'Alice');
    expect(address).toMatch(/^0006\.0\.\d+$/);
    expect(address).not.toBe(bot.address);
    const file = join(tmp.path, 'notes.txt');
    writeFileSync(file, 'x'.repeat(2048));
    const sent = await cli(
      'send',
      '--profile',
      profile,
      '--network',
      net.networkFile,
      '--to',
      bot.address,
      '--subject',
      'My first qmail',
      '--body',
      'Hello there',
      '--attach',
      file,
      '--stripes',
      '2+1',
    );
    expect(sent).toMatch(/^[0-9a-f]{32}$/);
    const reply = await answerTo(profile, 'My first qmail');
    expect(reply).toBeDefined();
    const m = JSON.parse(await cli('read', reply!.id, '--profile', profile, '--json')) as { body: string; from: string; subject: string };
    expect(m.from).toBe(bot.address);
    expect(m.subject).toBe('Re: My first qmail');
    expect(m.body).toContain('"My first qmail"');
    expect(m.body).toContain('notes.txt (2.0 KB)');
    // It answered and is still up, waiting for the next one (it used to exit after start).
    expect(alive(bot.pid)).toBe(true);
  }, 150_000);

  it('sends at L1 and L2 with the KME pair the network file names, and reads the answers at the same level', async () => {
    const profile = join(tmp.path, 'quantum');
    await cli('identity', 'create', '--profile', profile, '--network', net.networkFile, '--name', 'Qubit');
    for (const level of ['L1', 'L2'] as const) {
      const subject = `Sent at ${level} from the command line`;
      const id = await cli(
        'send',
        '--profile',
        profile,
        '--network',
        net.networkFile,
        '--to',
        bot.address,
        '--subject',
        subject,
        '--body',
        'Quantum keys, please',
        '--stripes',
        '2+1',
        '--level',
        level,
      );
      const sent = JSON.parse(await cli('read', id, '--profile', profile, '--json')) as {
        certificate: { level: string; quantumSecured: boolean; qkd: { keys: { keyId: string }[] }[] };
      };
      expect(sent.certificate).toMatchObject({ level, quantumSecured: true });
      const keys = sent.certificate.qkd[0]!.keys.map((k) => k.keyId);
      const reply = await answerTo(profile, subject);
      expect(reply).toBeDefined();
      const m = JSON.parse(await cli('read', reply!.id, '--profile', profile, '--json')) as {
        body: string;
        certificate: { level: string; quantumSecured: boolean; signatureVerified: boolean };
      };
      expect(m.certificate).toMatchObject({ level, quantumSecured: true, signatureVerified: true });
      expect(m.body).toContain(`Opened with QKD keys from KME_B: ${keys.join(', ')}`);
    }
  }, 150_000);

  it('refuses L1 with the reason when the profile has no KME, and sends nothing', async () => {
    // The same network described without its KME pair.
    const file = join(tmp.path, 'network-without-kme.json');
    const j = JSON.parse(readFileSync(net.networkFile, 'utf8')) as { services: Record<string, unknown> };
    delete j.services.kme;
    writeFileSync(file, JSON.stringify(j));
    const profile = join(tmp.path, 'classical');
    await cli('identity', 'create', '--profile', profile, '--network', file, '--name', 'Classic');
    const refused = await cli(
      'send',
      '--profile',
      profile,
      '--network',
      file,
      '--to',
      bot.address,
      '--subject',
      'No keys',
      '--level',
      'L1',
    ).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(refused).toMatchObject({ code: 1 });
    expect(refused!.stderr).toContain('L1 is unavailable: no KME configured. Nothing was sent');
    expect(JSON.parse(await cli('inbox', '--profile', profile, '--folder', 'sent', '--no-fetch', '--json'))).toEqual([]);
  }, 60_000);
});
