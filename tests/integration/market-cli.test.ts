// qmail servers on paid nodes, as scripts use it: list --json sorted by price, and an identity
// whose onboarding pays, then renew --json extending every paid term from the wallet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalNetwork, type LocalNetwork } from '../../dev-network/launcher.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const env = { ...process.env, QMAIL_PASSPHRASE: 'market integration passphrase' };
const mintKey = randomBytes(16).toString('hex');
const PRICES = [0.4, 0.1, 0.3, 0.2, 0.5];
const tmp = tempDir('qmail-market-cli-');
let net: LocalNetwork;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [qmail, ...args], { env, timeout: 90_000 });
  return stdout.trim();
}

beforeAll(async () => {
  net = await startLocalNetwork({
    dir: join(tmp.path, 'net'),
    nodes: 5,
    nodeConfig: {
      log: { level: 'warn' },
      storage: { durable: false },
      chips: { mintKey, networkFile: '../network.json' },
      market: { requireHire: true },
    },
    perNode: (i) => ({ operator: { pricePerMbMonth: PRICES[i]! } }),
  });
}, 120_000);
afterAll(async () => {
  await net?.close();
  tmp.remove();
});

describe('qmail servers', () => {
  it('lists the market as JSON by price and latency, and renews paid terms from the wallet', async () => {
    const where = ['--network', net.file];
    const byPrice = JSON.parse(await cli('servers', 'list', '--profile', join(tmp.path, 'a'), ...where, '--json', '--sort', 'price')) as {
      pricePerMbMonth: number;
      hireRequired: boolean;
      latencyMs: number | null;
      uptime: number;
    }[];
    expect(byPrice.map((s) => s.pricePerMbMonth)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(byPrice.every((s) => s.hireRequired)).toBe(true);
    const byLatency = JSON.parse(
      await cli('servers', 'list', '--profile', join(tmp.path, 'a'), ...where, '--json', '--sort', 'latency'),
    ) as {
      latencyMs: number | null;
    }[];
    const measured = byLatency.map((s) => s.latencyMs).filter((l): l is number => l !== null);
    expect(measured).toEqual([...measured].sort((x, y) => x - y));
    const cheap = JSON.parse(
      await cli('servers', 'list', '--profile', join(tmp.path, 'a'), ...where, '--json', '--max-price', '0.25'),
    ) as unknown[];
    expect(cheap).toHaveLength(2);

    const a = join(tmp.path, 'a');
    await cli('wallet', 'fund', '--profile', a, ...where, '--mint-key', mintKey, '--json');
    // Onboarding hires every node here (the default choice) and pays each a month of 10 MB.
    await cli('identity', 'create', '--profile', a, ...where, '--name', 'Scripted');
    const spent = PRICES.reduce((s, p) => s + p * 10, 0);
    const balance = async () => (JSON.parse(await cli('wallet', 'balance', '--profile', a, '--json')) as { total: number }).total;
    expect(await balance()).toBeCloseTo(100 - spent, 8);
    const renewed = JSON.parse(await cli('servers', 'renew', '--profile', a, ...where, '--json')) as { paid: number; expiresAt: string }[];
    expect(renewed).toHaveLength(5);
    expect(renewed.map((r) => r.paid).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
    // Two months from now, give or take the test's own minutes.
    for (const r of renewed) expect(Date.parse(r.expiresAt) - Date.now()).toBeGreaterThan(59 * 24 * 3600_000);
    expect(await balance()).toBeCloseTo(100 - 2 * spent, 8);
  }, 240_000);
});
