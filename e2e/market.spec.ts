// The server market and inbox fees in one story, on a network whose five servers take only
// paid hires (prices and inbox-fee cuts differ; a mint gives test Chips). Ada makes her address:
// she opens the server picker, sorts by price, sees an empty wallet refused, gets test Chips,
// chooses the three cheapest servers for storage and the next as beacon, sees the total and
// pays it; the picker from the toolbar then shows the servers in use. Bob, a stranger on a
// profile of his own, hires his servers through the picker too (another beacon) and sets an
// inbox fee of 10 CC in Tip settings. Ada writes to him: the composer's fee line shows the fee
// and the registration on his beacon the first qmail buys (5 CC, a server she had not hired);
// she pays both and sends; her wallet drops by the 15 CC, his grows by 10 CC less his beacon operator's
// published cut. Bob sees the tip on the message and lets Ada write free; her composer then says
// free (white list) and the next qmail costs nothing and arrives. Screenshots of each step in
// artifacts/e2e/market-*.png.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type Locator, type Page } from '@playwright/test';
import { startNetwork, type LocalNetwork } from '../tests/support/network.js';
import {
  arrivedInInbox,
  ccText,
  closeWallet,
  composeTo,
  confirmPhrase,
  createVault,
  expect,
  openProfile,
  setInboxFee,
  shot,
  startHost,
  stopProcessGroup,
  walletTotal,
  type SecondProfile,
} from './fixtures.js';

/** CC per MB-month of node i. */
const PRICES = [0.3, 0.1, 0.5, 0.2, 0.4];
/** The share of an inbox fee node i keeps when it is the recipient's beacon (each differs, so the right beacon must have taken it). */
const CUTS = [0.03, 0.01, 0.1, 0.02, 0.04];
const FEE_UNITS = 10n * 100_000_000n;

/** What the beacon named `name` keeps of a 10 CC fee: its operator's cut as the network file publishes it (a share of 0…1), rounded down. */
function publishedCut(networkFile: string, name: string): bigint {
  const net = JSON.parse(readFileSync(networkFile, 'utf8')) as {
    nodes: { descriptor: { descriptor: { name: string; inboxFeeCut: number } } }[];
  };
  const node = net.nodes.find((n) => n.descriptor.descriptor.name === name);
  if (!node) throw new Error(`${name} is not in the network file`);
  return (FEE_UNITS * BigInt(Math.round(node.descriptor.descriptor.inboxFeeCut * 10_000))) / 10_000n;
}

/** In the open picker: sorted by uptime, then by price, the rows come cheapest first. */
async function sortByPrice(picker: Locator, byPrice: string[]): Promise<void> {
  await expect(picker.getByRole('table').first().getByRole('rowheader')).toHaveCount(byPrice.length, { timeout: 30_000 });
  const sortBy = picker.getByLabel('Sort by');
  await sortBy.selectOption('uptime');
  await sortBy.selectOption('price');
  await expect(picker.getByRole('table').first().locator('tbody tr th .servers-name')).toHaveText(byPrice);
}

/** In the open picker: exactly these servers for storage, and that one as beacon. */
async function choose(picker: Locator, all: string[], storage: string[], beacon: string): Promise<void> {
  const storeOn = (name: string) => picker.getByRole('checkbox', { name: `Store mail on ${name}` });
  for (const name of all) if (await storeOn(name).isChecked()) await storeOn(name).uncheck();
  for (const name of storage) await storeOn(name).check();
  await picker.getByRole('radio', { name: `Use ${beacon} as beacon` }).check();
}

/** After "Create my address": the recovery phrase, confirmed, and the inbox. */
async function finishAddress(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Write down your recovery phrase' })).toBeVisible({ timeout: 120_000 });
  const words = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(words).toHaveCount(24);
  const phrase = (await words.allInnerTexts()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await confirmPhrase(page, phrase);
  await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });
}

/**
 * On a network of paid hires the composer's layout starts from the servers paid for (`hired`),
 * not from every server listed: a wider layout would hire and pay more, and the note says so.
 */
async function layoutFitsHired(composer: Locator, hired: number): Promise<void> {
  await expect(composer.getByLabel('Data stripes')).toHaveValue(String(Math.min(4, hired - 1)));
  await expect(composer.getByLabel('Parity')).toHaveValue('1');
  await expect(composer.getByText(`${Math.min(5, hired)} servers of 5 available; survives 1 lost`, { exact: true })).toBeVisible();
  if (hired >= 5) return;
  await composer.getByLabel('Data stripes').fill(String(hired));
  await expect(
    composer.getByText(`${hired + 1} servers of 5 available; survives 1 lost; Send hires and pays 1 more server (${hired} paid for)`),
  ).toBeVisible();
  await composer.getByLabel('Data stripes').fill(String(hired - 1));
}

function myAddress(page: Page, name: string): Promise<string> {
  return page
    .getByRole('button', { name: new RegExp(name) })
    .innerText()
    .then((t) => t.match(/0006\.-?\d+\.\d+/)![0]);
}

test('hire servers through the picker, pay a stranger’s inbox fee, both wallets move; white-listed, the next qmail is free', async ({
  page: ada,
  browser,
}) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  ada.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  ada.on('pageerror', (e) => errors.push(String(e)));
  const root = await mkdtemp(join(tmpdir(), 'qmail-e2e-market-'));
  const mintKey = randomBytes(16).toString('hex');
  let net: LocalNetwork | undefined;
  let adaHost: Awaited<ReturnType<typeof startHost>> | undefined;
  let bobProfile: SecondProfile | undefined;
  try {
    net = await startNetwork(join(root, 'net'), 5, {
      // The nodes' config files sit in net/node-i/: the network file is one folder up.
      nodeConfig: { chips: { mintKey, networkFile: '../network.json' }, market: { requireHire: true } },
      perNode: (i) => ({ operator: { pricePerMbMonth: PRICES[i]!, inboxFeeCut: CUTS[i]! } }),
    });
    const args = ['--network', net.networkFile, '--mint-key', mintKey];
    // Ada in the test's own page, on a host of her own; Bob in a browser context of his own, on another host.
    [adaHost, bobProfile] = await Promise.all([startHost(join(root, 'ada'), args), openProfile(browser, args)]);
    const bob = bobProfile.page;
    const byPrice = net.nodes
      .map((n, i) => ({ name: `local node ${n.index}`, price: PRICES[i]! }))
      .sort((a, b) => a.price - b.price)
      .map((n) => n.name);

    // —— Ada makes her address on paid servers ——
    await ada.goto(adaHost.handle.url);
    await expect(ada.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
    await createVault(ada, 'copper meadow violin 7');
    await expect(ada.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
    await ada.getByLabel('Your name').fill('Ada Lovelace');
    const chooseAndPay = ada.getByRole('button', { name: 'Choose and pay servers…' });
    await expect(chooseAndPay).toBeVisible({ timeout: 60_000 });
    await shot(ada, 'market-01-onboarding');

    // The picker, opened from the keyboard, sorted by price: cheapest first.
    await chooseAndPay.focus();
    await ada.keyboard.press('Enter');
    const picker = ada.getByRole('dialog', { name: 'Choose and pay your servers' });
    await expect(picker).toBeVisible();
    await sortByPrice(picker, byPrice);
    await shot(ada, 'market-02-sorted-by-price');

    // An empty wallet cannot pay: said before anything is paid.
    await choose(picker, byPrice, byPrice.slice(0, 3), byPrice[3]!);
    // 10 MB of mail striped 2 + 1 is 5 MB on each server: (0.1 + 0.2 + 0.3 + 0.4) × 5 = 5 CC for a month.
    await expect(picker.getByText(/With 3 storage servers: 2 \+ 1, readable with up to 1 server down\./)).toBeVisible();
    const total = picker.getByRole('table', { name: 'Price of each hire' }).locator('tfoot td');
    await expect(total).toHaveText('5 CC');
    await expect(picker.getByRole('alert')).toHaveText(/Not enough Chips: these hires cost 5 CC and the wallet holds 0 CC/);
    await expect(picker.getByRole('button', { name: /^Use these servers/ })).toBeDisabled();
    await picker.getByRole('alert').scrollIntoViewIfNeeded();
    await shot(ada, 'market-03-not-enough');

    // Test Chips from the network's mint, labelled test money.
    await picker.getByRole('button', { name: 'Get test Chips (test money)' }).click();
    const balance = picker.getByRole('region', { name: 'Wallet balance' }).getByRole('status');
    await expect(balance).toHaveText(/Wallet: 100 CC\s*test money/, { timeout: 90_000 });
    await expect(picker.getByRole('alert')).toHaveCount(0);
    await expect(picker.getByText('The wallet holds 100 CC (test money); 95 CC after these hires.')).toBeVisible();
    await picker.getByRole('button', { name: 'Use these servers (5 CC)' }).scrollIntoViewIfNeeded();
    await shot(ada, 'market-04-funded-quote');

    await picker.getByRole('button', { name: 'Use these servers (5 CC)' }).click();
    await expect(picker).toBeHidden();
    await expect(ada.getByText(/Chosen: 3 storage servers and a beacon, 1 month of 5 MB each\./)).toBeVisible();
    await ada.getByRole('button', { name: 'Create my address' }).click();
    await finishAddress(ada);

    // The wallet paid exactly the quoted total.
    await expect(await walletTotal(ada)).toHaveText('95 CC', { timeout: 30_000 });
    await shot(ada, 'market-05-wallet-after-hire');
    await closeWallet(ada);

    // The picker from the toolbar: the servers in use, the beacon, each paid term.
    await ada.getByRole('button', { name: 'Servers', exact: true }).click();
    const servers = ada.getByRole('dialog', { name: 'Servers' });
    await expect(servers.getByRole('rowheader', { name: new RegExp(`^${byPrice[3]} your beacon`) })).toBeVisible({ timeout: 30_000 });
    for (const name of byPrice.slice(0, 3)) {
      const row = servers.getByRole('row').filter({ has: ada.getByRole('rowheader', { name: new RegExp(`^${name} in use`) }) });
      await expect(row).toHaveCount(1);
      await expect(row.getByRole('cell').last()).toHaveText(/^until .+5 MB/);
    }
    await expect(servers.getByText('Nothing to pay: these servers are hired already or free.')).toBeVisible();
    await shot(ada, 'market-06-in-use');
    await ada.keyboard.press('Escape');
    await expect(servers).toBeHidden();

    // —— Bob, a stranger, hires his own servers (the most expensive as beacon) ——
    await expect(bob.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
    await createVault(bob, 'cedar river harbor 17');
    await expect(bob.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
    await bob.getByLabel('Your name').fill('Bob Stranger');
    await bob.getByRole('button', { name: 'Choose and pay servers…' }).click({ timeout: 60_000 });
    const bobPicker = bob.getByRole('dialog', { name: 'Choose and pay your servers' });
    await sortByPrice(bobPicker, byPrice);
    await bobPicker.getByRole('button', { name: 'Get test Chips (test money)' }).click();
    await expect(bobPicker.getByRole('region', { name: 'Wallet balance' }).getByRole('status')).toHaveText(/Wallet: 100 CC\s*test money/, {
      timeout: 90_000,
    });
    const bobBeacon = byPrice[4]!;
    await choose(bobPicker, byPrice, byPrice.slice(0, 3), bobBeacon);
    // (0.1 + 0.2 + 0.3 + 0.5) × 5 MB = 5.5 CC.
    await expect(bobPicker.getByRole('table', { name: 'Price of each hire' }).locator('tfoot td')).toHaveText('5.5 CC');
    await expect(bobPicker.getByText('The wallet holds 100 CC (test money); 94.5 CC after these hires.')).toBeVisible();
    const bobPay = bobPicker.getByRole('button', { name: 'Use these servers (5.5 CC)' });
    await bobPay.scrollIntoViewIfNeeded();
    await shot(bob, 'market-07-stranger-hires');
    await bobPay.click();
    await expect(bobPicker).toBeHidden();
    await bob.getByRole('button', { name: 'Create my address' }).click();
    await finishAddress(bob);
    await expect(await walletTotal(bob)).toHaveText('94.5 CC', { timeout: 30_000 });
    await closeWallet(bob);
    const [adaAddress, bobAddress] = await Promise.all([myAddress(ada, 'Ada Lovelace'), myAddress(bob, 'Bob Stranger')]);
    expect(adaAddress).not.toBe(bobAddress);

    // Bob, in Tip settings, charges strangers 10 CC.
    await setInboxFee(bob, '10');
    await shot(bob, 'market-08-stranger-sets-fee');
    await bob.getByRole('button', { name: 'Close the tip settings' }).click();

    // —— Ada writes to Bob: the fee line shows his fee and the registration on his beacon; she pays and sends ——
    let composer = await composeTo(ada, bobAddress, 'A paid hello');
    await layoutFitsHired(composer, 4);
    let fees = composer.getByRole('region', { name: 'Inbox fees' });
    // A beacon takes Tells only from mailboxes it knows, and Bob's takes only paid hires: the
    // first qmail registers her there for the app's default term, 1 month of 10 MB at 0.5 CC = 5 CC.
    await expect(fees.getByRole('listitem')).toHaveText([
      `${bobAddress}10 CC inbox fee + 5 CC to register on their server ${bobBeacon} (once)`,
    ]);
    await expect(fees.getByRole('status')).toHaveText('Send pays 15 CC in all. Your wallet holds 95 CC.');
    await expect(fees.getByRole('alert')).toHaveCount(0);
    const pay = composer.getByRole('button', { name: 'Pay 15 CC and send' });
    await expect(pay).toBeEnabled();
    await shot(ada, 'market-09-sender-sees-fee');
    await pay.click();
    await expect(composer).toBeHidden({ timeout: 60_000 });

    // Her Sent message: delivered, paid 10 CC.
    await ada.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Sent/ }).click();
    await ada.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'A paid hello' }).click();
    const delivery = ada.getByRole('article', { name: 'A paid hello' }).getByRole('list', { name: 'Delivery' });
    await expect(delivery).toContainText('paid 10 CC', { timeout: 120_000 });
    await expect(delivery).toContainText('Delivered', { timeout: 120_000 });
    await shot(ada, 'market-10-sender-sent-paid');
    // Her wallet: the 10 CC fee, and before it the 5 CC hire that registered her on Bob's beacon,
    // as the fee line said.
    await expect(await walletTotal(ada)).toHaveText('80 CC', { timeout: 60_000 });
    const history = ada.getByRole('dialog', { name: 'Wallet' }).getByRole('region', { name: 'History' }).getByRole('row');
    await expect(history.nth(1)).toContainText(/Paid \(locker\).*−10 CC/);
    await expect(history.nth(1)).toContainText(`inbox fee for ${bobAddress}`);
    await expect(history.nth(2)).toContainText(/Paid \(locker\).*−5 CC/);
    await expect(history.nth(2)).toContainText(`hire of ${bobBeacon}: 1 month of 10 MB`);
    await shot(ada, 'market-11-sender-wallet');
    await closeWallet(ada);
    // That hire is Bob's beacon's paid term in her Servers list.
    await ada.getByRole('button', { name: 'Servers', exact: true }).click();
    const bobBeaconRow = servers.getByRole('row').filter({ has: ada.getByRole('rowheader', { name: new RegExp(`^${bobBeacon}\\b`) }) });
    await expect(bobBeaconRow.getByRole('rowheader')).toHaveAccessibleName(new RegExp(`^${bobBeacon} registered`), { timeout: 30_000 });
    await expect(bobBeaconRow.getByRole('cell').last()).toHaveText(/^until .+10 MB/);
    await bobBeaconRow.scrollIntoViewIfNeeded();
    await shot(ada, 'market-12-sender-registered-on-his-beacon');
    await ada.keyboard.press('Escape');
    await expect(servers).toBeHidden();

    // —— Bob: the tip on the message, the fee less his beacon's published cut in his wallet ——
    const tip = FEE_UNITS - publishedCut(net.networkFile, bobBeacon);
    expect(tip, 'his beacon keeps its own cut, 10 %').toBe(9n * 100_000_000n);
    await (await arrivedInInbox(bob, 'A paid hello')).click();
    const paid = bob.getByRole('article', { name: 'A paid hello' });
    await expect(paid.getByText(`Tip: ${ccText(tip)} CC received, in your wallet.`)).toBeVisible({ timeout: 120_000 });
    await expect(
      bob.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'A paid hello' }),
    ).toContainText(`Tip ${ccText(tip)} CC`);
    await shot(bob, 'market-13-stranger-sees-tip');
    const bobAfterTip = ccText(9_450_000_000n + tip);
    await expect(await walletTotal(bob)).toHaveText(`${bobAfterTip} CC`, { timeout: 60_000 });
    await expect(bob.getByRole('dialog', { name: 'Wallet' }).getByText('All of it is test Chips', { exact: false })).toBeVisible();
    await shot(bob, 'market-14-stranger-wallet');
    await closeWallet(bob);

    // Bob lets Ada write free: a confirmation toast, and the reader says so.
    const senderFees = paid.getByRole('group', { name: 'Inbox fee for Ada Lovelace' });
    await senderFees.getByRole('button', { name: 'Let them write free' }).click();
    await expect(bob.getByTestId('fees-notice')).toHaveText(/Ada Lovelace \(.+\) may write to you free now \(on your white list\)\./);
    await expect(senderFees).toContainText('Ada Lovelace writes to you free (white list).');
    await shot(bob, 'market-15-stranger-whitelists-sender');

    // —— Ada's composer now says free (white list); the next qmail costs nothing and arrives ——
    composer = await composeTo(ada, bobAddress, 'A free hello');
    // registered on Bob's beacon by the first send: five servers paid for, so the default 4 + 1 fits
    await layoutFitsHired(composer, 5);
    fees = composer.getByRole('region', { name: 'Inbox fees' });
    await expect(fees.getByRole('listitem')).toHaveText([`${bobAddress}free: you are on their white list`]);
    await expect(fees.getByRole('status')).toHaveText('Sending costs nothing. Your wallet holds 80 CC.');
    const send = composer.getByRole('button', { name: 'Send', exact: true });
    await expect(send).toBeEnabled();
    await shot(ada, 'market-16-sender-free-white-list');
    await send.click();
    await expect(composer).toBeHidden({ timeout: 60_000 });

    await (await arrivedInInbox(bob, 'A free hello')).click();
    const free = bob.getByRole('article', { name: 'A free hello' });
    await expect(free.getByLabel('Message text')).toHaveText('A free hello: a few words.', { timeout: 60_000 });
    await expect(free.getByText(/^Tip:/)).toHaveCount(0);
    await shot(bob, 'market-17-stranger-free-message');
    // Neither wallet moved.
    await expect(await walletTotal(ada)).toHaveText('80 CC');
    await shot(ada, 'market-18-sender-wallet-unchanged');
    await closeWallet(ada);
    await expect(await walletTotal(bob)).toHaveText(`${bobAfterTip} CC`);
    await closeWallet(bob);

    // A narrow window: the picker still fits (its table scrolls inside it).
    await ada.setViewportSize({ width: 720, height: 640 });
    await ada.getByRole('button', { name: 'Servers', exact: true }).click();
    await expect(servers).toBeVisible();
    const fits = await ada.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    expect(fits).toBe(true);
    await shot(ada, 'market-19-narrow');
    expect(errors).toEqual([]);
    expect(bobProfile.errors).toEqual([]);
  } finally {
    await bobProfile?.close();
    if (adaHost) await stopProcessGroup(adaHost.child);
    await net?.stop();
    await rm(root, { recursive: true, force: true });
  }
});
