// The Wallet screen as a new user meets it on the embedded (test) network: open it from the
// toolbar, get test Chips (labelled test money), see the balance, export an amount as a coin
// file (downloaded) and see the balance drop; an impossible export is an alert; the file
// imported back restores the balance; axe finds no
// serious or critical violation in light and dark.
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { createVault, expect, onboard, shot, test } from './fixtures.js';

async function axe(page: Page, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        found.push(`${scheme} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    await shot(page, `${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

test('a new user gets test Chips, sees the balance, exports an amount and the balance drops', async ({ app: page, consoleErrors }) => {
  test.setTimeout(240_000);
  await expect(page.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
  await createVault(page, 'copper meadow violin 7');
  await onboard(page, 'Ada Lovelace');

  await page.getByRole('button', { name: 'Wallet', exact: true }).click();
  const wallet = page.getByRole('dialog', { name: 'Wallet' });
  await expect(wallet).toBeVisible();
  const total = wallet.getByRole('region', { name: 'Balance' }).getByRole('status');
  await expect(total).toHaveText('0 CC');
  await expect(wallet.getByText('The wallet is empty.')).toBeVisible();
  await shot(page, 'wallet-empty');

  // Keyboard: the test money button is reached and pressed from the keyboard.
  const fund = wallet.getByRole('button', { name: 'Get test Chips (test money)' });
  await fund.focus();
  await page.keyboard.press('Enter');
  await expect(wallet.getByRole('status').filter({ hasText: /Received 100 CC of test Chips \(test money, not real\)/ })).toBeVisible({
    timeout: 60_000,
  });
  await expect(total).toHaveText('100 CC');
  await expect(wallet.getByText(/All of it is test Chips from the local test network: not real money/)).toBeVisible();
  const denominations = wallet.getByRole('table').first();
  await expect(denominations.getByRole('row')).toHaveText([/Denomination\s*Coins/, /10 CC\s*5/, /1 CC\s*40/, /0\.1 CC\s*100/]);
  await expect(wallet.getByRole('row', { name: /Test Chips.*test money.*\+100 CC/ })).toBeVisible();
  await shot(page, 'wallet-funded');

  const findings = await axe(page, 'wallet');
  expect(findings, findings.join('\n')).toEqual([]);

  // Export 12.5 CC: a coin file of 8 coins (10 + 1 + 1 + 5 × 0.1) is downloaded, the balance drops.
  const amount = wallet.getByLabel('Amount in CC');
  await amount.fill('12.5');
  const download = page.waitForEvent('download');
  await amount.press('Enter');
  const file = await download;
  expect(file.suggestedFilename()).toBe('12.5.CloudCoin.bin');
  const bytes = readFileSync((await file.path())!);
  expect(bytes.length).toBe(32 + 8 * 407);
  expect(bytes[0]).toBe(9);
  await expect(total).toHaveText('87.5 CC', { timeout: 60_000 });
  await expect(wallet.getByRole('row', { name: /Exported.*−12\.5 CC/ })).toBeVisible();
  await shot(page, 'wallet-exported');

  // More than the wallet holds: an alert, and nothing moves.
  await amount.fill('1000');
  await amount.press('Enter');
  await expect(wallet.getByRole('alert')).toHaveText(/holds 87\.5 CC, less than 1000/);
  await expect(total).toHaveText('87.5 CC');
  await shot(page, 'wallet-error');

  // The exported file imported back: its 8 coins are powned to new ANs and the balance is whole again (test money still).
  await wallet.getByLabel('Coin file to import').setInputFiles((await file.path())!);
  await expect(wallet.getByRole('status').filter({ hasText: '8 coins worth 12.5 CC imported.' })).toBeVisible({ timeout: 60_000 });
  await expect(total).toHaveText('100 CC');
  await expect(wallet.getByText(/All of it is test Chips/)).toBeVisible();
  await expect(wallet.getByRole('row', { name: /Imported.*test money.*\+12\.5 CC/ })).toBeVisible();
  await shot(page, 'wallet-imported');

  await page.keyboard.press('Escape');
  await expect(wallet).toBeHidden();
  // A narrow window still fits the toolbar with the Wallet button in it.
  await page.setViewportSize({ width: 720, height: 600 });
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(width.scroll).toBeLessThanOrEqual(width.client);
  await expect(page.getByRole('button', { name: 'Wallet', exact: true })).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole('button', { name: 'Lock QMail' })).toBeInViewport({ ratio: 1 });
  await shot(page, 'wallet-narrow-toolbar');
  expect(consoleErrors).toEqual([]);
});
