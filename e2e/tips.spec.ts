// Inbox fees and tips as two people meet them on one embedded network: Ada's profile runs the
// network, Bob's joins it and is a stranger to her. Bob sets an inbox fee of 10 CC in Tip
// settings; Ada's composer shows the fee; with an empty wallet Send is refused and the message
// stays a draft; with test Chips the draft's Send pays the fee; both wallets move
// (Bob gets the fee less his beacon operator's published cut, read from the network); Bob sees
// the tip on the message and lets Ada write free; her composer then says so and the next qmail
// costs nothing. Screenshots of each step in artifacts/e2e/tips-*.png.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, joinNetwork, onboardTwo, shot, test } from './fixtures.js';

const FEE_UNITS = 10n * 100_000_000n;

/** CC in 1e-8 units → "9.5" (the shortest exact form, as the app writes amounts). */
function cc(units: bigint): string {
  const whole = units / 100_000_000n;
  const frac = (units % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** What a beacon keeps of a 10 CC fee: its operator's published cut (a share of 0…1 in the signed descriptor), rounded down. */
function operatorCuts(networkFile: string): bigint[] {
  const net = JSON.parse(readFileSync(networkFile, 'utf8')) as { nodes: { descriptor: { descriptor: { inboxFeeCut: number } } }[] };
  return [...new Set(net.nodes.map((n) => (FEE_UNITS * BigInt(Math.round(n.descriptor.descriptor.inboxFeeCut * 10_000))) / 10_000n))];
}

async function walletTotal(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Wallet', exact: true }).click();
  const wallet = page.getByRole('dialog', { name: 'Wallet' });
  await expect(wallet).toBeVisible();
  return wallet.getByRole('region', { name: 'Balance' }).getByRole('status');
}

async function closeWallet(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Close the wallet' }).click();
  await expect(page.getByRole('dialog', { name: 'Wallet' })).toBeHidden();
}

/** Writes to `to` (an address typed in full) and waits until the fee line has answered; returns the composer. */
async function compose(page: Page, to: string, subject: string): Promise<Locator> {
  await page.keyboard.press('c');
  const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await composer.getByRole('combobox', { name: 'To' }).fill(to);
  await composer.getByLabel('Subject').fill(subject);
  await composer.getByLabel('Message').fill(`${subject}: a few words.`);
  await expect(composer.getByRole('region', { name: 'Inbox fees' }).getByRole('status')).toBeVisible({ timeout: 60_000 });
  return composer;
}

/** The Inbox row with this subject, waited for without touching Check mail. */
async function arrived(page: Page, subject: string): Promise<Locator> {
  await page
    .getByRole('navigation', { name: 'Folders' })
    .getByRole('button', { name: /^Inbox/ })
    .click();
  const row = page.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: subject });
  await expect(row).toHaveCount(1, { timeout: 120_000 });
  return row;
}

test('a stranger charges 10 CC: the sender sees the fee and pays it, both wallets move; white-listed, the next qmail is free', async ({
  app: ada,
  host,
  browser,
  consoleErrors,
}) => {
  test.setTimeout(600_000);
  const networkFile = join(host.profileDir, 'network', 'network.json');
  const second = await joinNetwork(browser, host);
  const bob = second.page;
  try {
    const [, bobAddress] = await onboardTwo(ada, bob, ['Ada Lovelace', 'Bob Stranger']);

    // Both wallets start empty.
    await expect(await walletTotal(ada)).toHaveText('0 CC');
    await closeWallet(ada);
    await expect(await walletTotal(bob)).toHaveText('0 CC');
    await closeWallet(bob);

    // Bob, in Tip settings, charges strangers 10 CC.
    await bob.getByRole('button', { name: 'Tips', exact: true }).click();
    const tips = bob.getByRole('dialog', { name: 'Tip settings' });
    await expect(tips.getByRole('status').first()).toHaveText('Your inbox is free: anyone may write to you.', { timeout: 60_000 });
    await tips.getByLabel('Fee in CC').fill('10');
    await tips.getByRole('button', { name: 'Save fee' }).click();
    await expect(tips.getByRole('status').first()).toHaveText('Strangers pay 10 CC to write to you.', { timeout: 60_000 });
    await expect(tips.getByRole('status').filter({ hasText: 'Your inbox fee is 10 CC now.' })).toBeVisible();
    await shot(bob, 'tips-01-stranger-sets-fee');
    await tips.getByRole('button', { name: 'Close the tip settings' }).click();

    // Ada writes to Bob with an empty wallet: the fee line warns, Send is refused (fee not covered), nothing is lost.
    let composer = await compose(ada, bobAddress, 'A paid hello');
    let fees = composer.getByRole('region', { name: 'Inbox fees' });
    await expect(fees.getByRole('listitem')).toHaveText([`${bobAddress}10 CC inbox fee`]);
    await expect(fees.getByRole('status')).toHaveText('Send pays 10 CC in all. Your wallet holds 0 CC.');
    await expect(fees.getByRole('alert')).toHaveText(/^Your wallet holds less than the 10 CC these inboxes charge/);
    await composer.getByRole('button', { name: 'Pay 10 CC and send' }).click();
    await expect(composer.getByRole('alert').filter({ hasText: /^Not sent, nothing was paid: / })).toHaveText(
      /Your message is kept as a draft\. Check the fees and send again\.$/,
      { timeout: 60_000 },
    );
    await expect(composer.getByLabel('Subject')).toHaveValue('A paid hello');
    await shot(ada, 'tips-02-sender-fee-not-covered');
    await composer.getByRole('button', { name: 'Close the composer' }).click();
    await expect(composer).toBeHidden();

    // Ada gets test Chips, opens the draft again and pays.
    const adaTotal = await walletTotal(ada);
    await ada.getByRole('button', { name: 'Get test Chips (test money)' }).click();
    await expect(adaTotal).toHaveText('100 CC', { timeout: 60_000 });
    await closeWallet(ada);
    await ada
      .getByRole('navigation', { name: 'Folders' })
      .getByRole('button', { name: /^Drafts/ })
      .click();
    await ada.getByRole('listbox', { name: 'Messages in Drafts' }).getByRole('option').filter({ hasText: 'A paid hello' }).click();
    await ada.getByRole('button', { name: 'Edit draft' }).click();
    fees = composer.getByRole('region', { name: 'Inbox fees' });
    await expect(fees.getByRole('status')).toHaveText('Send pays 10 CC in all. Your wallet holds 100 CC.', { timeout: 60_000 });
    await expect(fees.getByRole('alert')).toHaveCount(0);
    const pay = composer.getByRole('button', { name: 'Pay 10 CC and send' });
    await expect(pay).toBeEnabled();
    // The reopened draft starts in To, whose suggestions would cover the fee line in the picture.
    await composer.getByLabel('Subject').focus();
    await expect(composer.getByRole('listbox', { name: 'To suggestions' })).toBeHidden();
    await shot(ada, 'tips-03-sender-sees-fee');
    await pay.click();
    await expect(composer).toBeHidden({ timeout: 60_000 });

    // Ada's Sent message: delivered, paid 10 CC; her wallet holds 10 CC less.
    await ada.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Sent/ }).click();
    await ada.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'A paid hello' }).click();
    const sent = ada.getByRole('article', { name: 'A paid hello' });
    await expect(sent.getByRole('list', { name: 'Delivery' })).toContainText('paid 10 CC', { timeout: 120_000 });
    await expect(sent.getByRole('list', { name: 'Delivery' })).toContainText('Delivered', { timeout: 120_000 });
    await expect(
      ada.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'A paid hello' }),
    ).toContainText('Paid 10 CC');
    await shot(ada, 'tips-04-sender-sent-paid');
    await expect(await walletTotal(ada)).toHaveText('90 CC', { timeout: 60_000 });
    await shot(ada, 'tips-05-sender-wallet');
    await closeWallet(ada);

    // Bob: the message with its tip, the fee less his beacon's cut, in his wallet.
    const cuts = operatorCuts(networkFile);
    expect(cuts, 'every node of the embedded network publishes the same inbox-fee cut').toHaveLength(1);
    const tip = cc(FEE_UNITS - cuts[0]!);
    await (await arrived(bob, 'A paid hello')).click();
    const paid = bob.getByRole('article', { name: 'A paid hello' });
    await expect(paid.getByText(`Tip: ${tip} CC received, in your wallet.`)).toBeVisible({ timeout: 120_000 });
    // The list row says so too.
    await expect(
      bob.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'A paid hello' }),
    ).toContainText(`Tip ${tip} CC`);
    await shot(bob, 'tips-06-stranger-sees-tip');
    await expect(await walletTotal(bob)).toHaveText(`${tip} CC`, { timeout: 60_000 });
    // Paid with test Chips, the tip arrives as test money (the network has a mint).
    await expect(bob.getByRole('dialog', { name: 'Wallet' }).getByText('All of it is test Chips', { exact: false })).toBeVisible();
    await shot(bob, 'tips-07-stranger-wallet');
    await closeWallet(bob);

    // Bob lets Ada write free: a confirmation toast, and the reader says so.
    const senderFees = paid.getByRole('group', { name: 'Inbox fee for Ada Lovelace' });
    await senderFees.getByRole('button', { name: 'Let them write free' }).click();
    await expect(bob.getByTestId('fees-notice')).toHaveText(/Ada Lovelace \(.+\) may write to you free now \(on your white list\)\./);
    await expect(senderFees).toContainText('Ada Lovelace writes to you free (white list).');
    await shot(bob, 'tips-08-stranger-whitelists-sender');

    // Ada's composer now says free (white list), and Send pays nothing.
    composer = await compose(ada, bobAddress, 'A free hello');
    await expect(composer.getByRole('region', { name: 'Inbox fees' }).getByRole('listitem')).toHaveText([
      `${bobAddress}free: you are on their white list`,
    ]);
    await expect(composer.getByRole('region', { name: 'Inbox fees' }).getByRole('status')).toHaveText(
      'Sending costs nothing. Your wallet holds 90 CC.',
    );
    const send = composer.getByRole('button', { name: 'Send', exact: true });
    await expect(send).toBeEnabled();
    await shot(ada, 'tips-09-sender-free-white-list');
    await send.click();
    await expect(composer).toBeHidden({ timeout: 60_000 });

    // Bob gets it with no tip; neither wallet moved.
    await (await arrived(bob, 'A free hello')).click();
    const free = bob.getByRole('article', { name: 'A free hello' });
    await expect(free).toBeVisible();
    await expect(free.getByText(/^Tip:/)).toHaveCount(0);
    await shot(bob, 'tips-10-stranger-free-message');
    await expect(await walletTotal(ada)).toHaveText('90 CC');
    await shot(ada, 'tips-11-sender-wallet-unchanged');
    await closeWallet(ada);
    await expect(await walletTotal(bob)).toHaveText(`${tip} CC`);
    await closeWallet(bob);

    expect(consoleErrors).toEqual([]);
    expect(second.errors).toEqual([]);
  } finally {
    await second.close();
  }
});
