// The server market in the browser: a new profile on a network whose five servers take only
// paid hires (prices differ; a mint gives test Chips). During onboarding the user opens the
// server picker, sorts by price, gets test Chips, chooses the three cheapest servers for
// storage and the next as beacon, sees the total before paying, and makes the address: the
// wallet drops by exactly that total. The picker (from the toolbar) then shows the servers in
// use, the beacon and each paid term; a qmail sent to oneself goes over the new servers and
// is read. Screenshots of each step in artifacts/e2e/market-*.png.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { startNetwork, type LocalNetwork } from '../tests/support/network.js';
import { createVault, confirmPhrase, expect, shot, startHost, stopProcessGroup } from './fixtures.js';

/** CC per MB-month of node i. */
const PRICES = [0.3, 0.1, 0.5, 0.2, 0.4];

const test = base;

test('a new user picks and pays three storage servers and a beacon, then sends and reads a qmail over them', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(String(e)));
  const root = await mkdtemp(join(tmpdir(), 'qmail-e2e-market-'));
  const mintKey = randomBytes(16).toString('hex');
  let net: LocalNetwork | undefined;
  let host: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    net = await startNetwork(join(root, 'net'), 5, {
      // The nodes' config files sit in net/node-i/: the network file is one folder up.
      nodeConfig: { chips: { mintKey, networkFile: '../network.json' }, market: { requireHire: true } },
      perNode: (i) => ({ operator: { pricePerMbMonth: PRICES[i]! } }),
    });
    host = await startHost(join(root, 'profile'), ['--network', net.networkFile, '--mint-key', mintKey]);
    const byPrice = net.nodes
      .map((n, i) => ({ name: `local node ${n.index}`, price: PRICES[i]! }))
      .sort((a, b) => a.price - b.price)
      .map((n) => n.name);

    await page.goto(host.handle.url);
    await expect(page.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
    await createVault(page, 'copper meadow violin 7');
    await expect(page.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
    await page.getByLabel('Your name').fill('Grace Hopper');
    const choose = page.getByRole('button', { name: 'Choose and pay servers…' });
    await expect(choose).toBeVisible({ timeout: 60_000 });
    await shot(page, 'market-1-onboarding');

    // The picker, opened from the keyboard.
    await choose.focus();
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: 'Choose and pay your servers' });
    await expect(picker).toBeVisible();
    const rows = picker.getByRole('table').first().getByRole('rowheader');
    await expect(rows).toHaveCount(5, { timeout: 30_000 });
    // Sorted by uptime, then by price: cheapest first.
    const sortBy = picker.getByLabel('Sort by');
    await sortBy.selectOption('uptime');
    await sortBy.selectOption('price');
    await expect(picker.getByRole('table').first().locator('tbody tr th .servers-name')).toHaveText(byPrice);
    await shot(page, 'market-2-sorted-by-price');

    // An empty wallet cannot pay: said before anything is paid.
    const storeOn = (name: string) => picker.getByRole('checkbox', { name: `Store mail on ${name}` });
    for (const name of byPrice) if (await storeOn(name).isChecked()) await storeOn(name).uncheck();
    for (const name of byPrice.slice(0, 3)) await storeOn(name).check();
    await picker.getByRole('radio', { name: `Use ${byPrice[3]} as beacon` }).check();
    // 10 MB of mail striped 2 + 1 is 5 MB on each server: (0.1 + 0.2 + 0.3 + 0.4) × 5 = 5 CC for a month.
    await expect(picker.getByText(/With 3 storage servers: 2 \+ 1, readable with up to 1 server down\./)).toBeVisible();
    const total = picker.getByRole('table', { name: 'Price of each hire' }).locator('tfoot td');
    await expect(total).toHaveText('5 CC');
    await expect(picker.getByRole('alert')).toHaveText(/Not enough Chips: these hires cost 5 CC and the wallet holds 0 CC/);
    await expect(picker.getByRole('button', { name: /^Use these servers/ })).toBeDisabled();
    await picker.getByRole('alert').scrollIntoViewIfNeeded();
    await shot(page, 'market-3-not-enough');

    // Test Chips from the network's mint, labelled test money.
    await picker.getByRole('button', { name: 'Get test Chips (test money)' }).click();
    const balance = picker.getByRole('region', { name: 'Wallet balance' }).getByRole('status');
    await expect(balance).toHaveText(/Wallet: 100 CC\s*test money/, { timeout: 90_000 });
    await expect(picker.getByRole('alert')).toHaveCount(0);
    await expect(picker.getByText('The wallet holds 100 CC (test money); 95 CC after these hires.')).toBeVisible();
    await picker.getByRole('button', { name: 'Use these servers (5 CC)' }).scrollIntoViewIfNeeded();
    await shot(page, 'market-4-funded-quote');

    await picker.getByRole('button', { name: 'Use these servers (5 CC)' }).click();
    await expect(picker).toBeHidden();
    await expect(page.getByText(/Chosen: 3 storage servers and a beacon, 1 month of 5 MB each\./)).toBeVisible();
    await page.getByRole('button', { name: 'Create my address' }).click();
    await expect(page.getByRole('heading', { name: 'Write down your recovery phrase' })).toBeVisible({ timeout: 120_000 });
    const words = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
    const phrase = (await words.allInnerTexts()).map((w) => w.trim());
    await page.getByRole('button', { name: 'I wrote them down' }).click();
    await confirmPhrase(page, phrase);
    await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });

    // The wallet paid exactly the quoted total.
    await page.getByRole('button', { name: 'Wallet', exact: true }).click();
    const wallet = page.getByRole('dialog', { name: 'Wallet' });
    await expect(wallet.getByRole('region', { name: 'Balance' }).getByRole('status')).toHaveText('95 CC', { timeout: 30_000 });
    await shot(page, 'market-5-wallet-after');
    await page.keyboard.press('Escape');

    // The picker from the toolbar: the servers in use, the beacon, each paid term.
    await page.getByRole('button', { name: 'Servers', exact: true }).click();
    const servers = page.getByRole('dialog', { name: 'Servers' });
    await expect(servers.getByRole('rowheader', { name: new RegExp(`^${byPrice[3]} your beacon`) })).toBeVisible({ timeout: 30_000 });
    for (const name of byPrice.slice(0, 3)) {
      const row = servers.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${name} in use`) }) });
      await expect(row).toHaveCount(1);
      await expect(row.getByRole('cell').last()).toHaveText(/^until .+5 MB/);
    }
    await expect(servers.getByText('Nothing to pay: these servers are hired already or free.')).toBeVisible();
    await shot(page, 'market-6-in-use');
    await page.keyboard.press('Escape');

    // A qmail to oneself, striped 2 + 1 over the three storage servers, announced by the beacon.
    const me = (await page.getByRole('button', { name: /Grace Hopper/ }).innerText()).match(/0006\.-?\d+\.\d+/)![0];
    await page.keyboard.press('c');
    const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
    await composer.getByRole('combobox', { name: 'To' }).fill(me);
    await composer.getByLabel('Subject').fill('Over paid servers');
    await composer.getByLabel('Message').fill('Stored on the three cheapest servers.');
    await composer.getByLabel('Data stripes').fill('2');
    await composer.getByLabel('Parity').fill('1');
    await composer.getByRole('radio', { name: /L3/ }).check();
    await composer.getByRole('button', { name: 'Send' }).click();
    await expect(composer).toBeHidden({ timeout: 30_000 });
    const inbox = page.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'Over paid servers' });
    await expect(async () => {
      await page.getByRole('button', { name: 'Check mail' }).click();
      await expect(inbox).toHaveCount(1, { timeout: 5_000 });
    }).toPass({ timeout: 90_000 });
    await inbox.click();
    await expect(page.getByLabel('Message text')).toHaveText('Stored on the three cheapest servers.', { timeout: 30_000 });
    await shot(page, 'market-7-read');
    // Sending hired nothing more: the wallet still holds what the hires left.
    await page.getByRole('button', { name: 'Wallet', exact: true }).click();
    await expect(wallet.getByRole('region', { name: 'Balance' }).getByRole('status')).toHaveText('95 CC');
    await page.keyboard.press('Escape');

    // A narrow window: the picker still fits (its table scrolls inside it).
    await page.setViewportSize({ width: 720, height: 640 });
    await page.getByRole('button', { name: 'Servers', exact: true }).click();
    await expect(servers).toBeVisible();
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    expect(fits).toBe(true);
    await shot(page, 'market-8-narrow');
    expect(errors).toEqual([]);
  } finally {
    if (host) await stopProcessGroup(host.child);
    await net?.stop();
    await rm(root, { recursive: true, force: true });
  }
});
