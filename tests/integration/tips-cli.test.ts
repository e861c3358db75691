// qmail fees on a real local network, as scripts use it: a recipient sets its inbox fee and
// lists on its beacon, a sender reads that fee, and the beacon's gate follows the lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const env = { ...process.env, QMAIL_PASSPHRASE: 'fees integration passphrase' };
const tmp = tempDir('qmail-fees-cli-');
let net: LocalNetwork;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [qmail, ...args], { env, timeout: 90_000 });
  return stdout.trim();
}

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: 3,
    nodeConfig: { log: { level: 'warn' }, storage: { durable: false } },
  });
}, 120_000);
afterAll(async () => {
  await net?.close();
  tmp.remove();
});

describe('qmail fees', () => {
  it('sets an inbox fee and the lists on the beacon; a sender reads the fee', async () => {
    const [a, b] = [join(tmp.path, 'a'), join(tmp.path, 'b')];
    const where = ['--network', net.file];
    const alice = await cli('identity', 'create', '--profile', a, ...where, '--name', 'Alice');
    const bob = await cli('identity', 'create', '--profile', b, ...where, '--name', 'Bob');
    // a new inbox is free (onboarding posts fee 0)
    expect(JSON.parse(await cli('fees', 'get', alice, '--profile', b, ...where, '--json'))).toMatchObject({
      address: alice,
      record: true,
      fee: 0,
    });
    expect(JSON.parse(await cli('fees', 'set', '--profile', a, '--fee', '0.5', '--class-rejection', '-2', '--json'))).toEqual({
      fee: 0.5,
      classRejection: -2,
      white: [],
      black: [],
    });
    expect(JSON.parse(await cli('fees', 'get', alice, '--profile', b, ...where, '--json'))).toEqual({
      address: alice,
      record: true,
      fee: 0.5,
      classRejection: -2,
      refusesOurClass: false,
    });
    await cli('fees', 'white', bob, '--profile', a);
    expect(JSON.parse(await cli('fees', 'show', '--profile', a, '--json'))).toMatchObject({ white: [bob], black: [] });
    await cli('fees', 'black', bob, '--profile', a);
    expect(JSON.parse(await cli('fees', 'show', '--profile', a, '--json'))).toMatchObject({ white: [], black: [bob] });
    await cli('fees', 'unlist', bob, '--profile', a);
    expect(JSON.parse(await cli('fees', 'show', '--profile', a, '--json'))).toMatchObject({ fee: 0.5, white: [], black: [] });
    await expect(cli('fees', 'set', '--profile', a, '--fee', '-1')).rejects.toThrow(/CC amount/);

    // qmail send --tip: a fee not covered fails before anything is queued, in one line.
    const send = (...extra: string[]) =>
      run(process.execPath, [qmail, 'send', '--profile', b, ...where, '--to', alice, '--subject', 'fee?', '--stripes', '2+1', ...extra], {
        env,
        timeout: 90_000,
      }).then(
        () => '',
        (e: { stderr: string; code: number }) => (expect(e.code).not.toBe(0), e.stderr),
      );
    expect(await send()).toBe(`qmail: ${alice} charges an inbox fee of 0.5 CC; no tip was given.\n`);
    expect(await send('--tip', '0.25')).toBe(`qmail: ${alice} charges an inbox fee of 0.5 CC; 0.25 CC was offered.\n`);
    // Covered, but Bob's wallet holds nothing to pay it with.
    expect(await send('--tip', '0.5')).toMatch(/^qmail: The inbox fees and tips come to 0\.5 CC; the wallet holds 0 CC\.\n$/);
  }, 240_000);
});
