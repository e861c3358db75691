// qmail wallet on a real local network, as scripts use it: fund (test mint), balance --json,
// export --amount --to, import in another profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const env = { ...process.env, QMAIL_PASSPHRASE: 'wallet integration passphrase' };
const mintKey = randomBytes(16).toString('hex');
const tmp = tempDir('qmail-wallet-cli-');
let net: LocalNetwork;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [qmail, ...args], { env, timeout: 60_000 });
  return stdout.trim();
}

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: 5,
    nodeConfig: { log: { level: 'warn' }, storage: { durable: false }, chips: { mintKey } },
  });
}, 120_000);
afterAll(async () => {
  await net?.close();
  tmp.remove();
});

describe('qmail wallet', () => {
  it('funds, reports the balance as JSON, exports an amount and imports it elsewhere', async () => {
    const a = join(tmp.path, 'a');
    const b = join(tmp.path, 'b');
    const where = ['--network', net.file];
    expect(JSON.parse(await cli('wallet', 'fund', '--profile', a, ...where, '--mint-key', mintKey, '--json'))).toMatchObject({
      accepted: 145,
      amount: 100,
    });
    expect(JSON.parse(await cli('wallet', 'balance', '--profile', a, '--json'))).toEqual({
      total: 100,
      byDenomination: { '10': 5, '1': 40, '0.1': 100 },
      test: 100,
      limbo: 0,
    });
    const file = join(tmp.path, 'tip.bin');
    expect(JSON.parse(await cli('wallet', 'export', '--profile', a, ...where, '--amount', '2.5', '--to', file, '--json'))).toMatchObject({
      amount: 2.5,
      bytes: 32 + 7 * 407,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await cli('wallet', 'import', '--profile', b, ...where, file, '--json'))).toEqual({
      accepted: 7,
      rejected: 0,
      limbo: 0,
      amount: 2.5,
    });
    expect(JSON.parse(await cli('wallet', 'balance', '--profile', b, '--json'))).toMatchObject({
      total: 2.5,
      byDenomination: { '1': 2, '0.1': 5 },
    });
    expect(JSON.parse(await cli('wallet', 'balance', '--profile', a, '--json'))).toMatchObject({ total: 97.5 });
    expect(
      (JSON.parse(await cli('wallet', 'history', '--profile', a, '--json')) as { kind: string; amount: number; test?: boolean }[]).map(
        (e) => [e.kind, e.amount, e.test],
      ),
    ).toEqual([
      ['exported', 2.5, true],
      ['minted', 100, true],
    ]);
    // a bad amount is refused with a clear message and a failing exit
    await expect(cli('wallet', 'export', '--profile', a, ...where, '--amount', '1.123456789', '--to', file)).rejects.toThrow(
      /not an amount in CC/,
    );
  }, 240_000);
});
