// Inbox fees when the sender cannot pay yet, on one embedded network: Ada's profile runs the
// network, Bob's joins it and is a stranger to her. Bob sets an inbox fee of 10 CC in Tip
// settings; Ada's composer shows the fee; with an empty wallet Send is refused and the message
// stays a draft; with test Chips the draft's Send pays the fee, her wallet drops by it and Bob
// gets the message with its tip (the fee less his beacon operator's published cut, read from
// the network). The whole paid story on a market network (hiring servers, both wallets, the
// white list and the free qmail after it) is e2e/market.spec.ts. Screenshots of each step in
// artifacts/e2e/tips-*.png.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arrivedInInbox,
  ccText,
  closeWallet,
  composeTo,
  expect,
  joinNetwork,
  onboardTwo,
  setInboxFee,
  shot,
  test,
  walletTotal,
} from './fixtures.js';

const FEE_UNITS = 10n * 100_000_000n;

/** What a beacon keeps of a 10 CC fee: its operator's published cut (a share of 0…1 in the signed descriptor), rounded down. */
function operatorCuts(networkFile: string): bigint[] {
  const net = JSON.parse(readFileSync(networkFile, 'utf8')) as { nodes: { descriptor: { descriptor: { inboxFeeCut: number } } }[] };
  return [...new Set(net.nodes.map((n) => (FEE_UNITS * BigInt(Math.round(n.descriptor.descriptor.inboxFeeCut * 10_000))) / 10_000n))];
}

test('a stranger charges 10 CC: with an empty wallet Send is refused and the message stays a draft; funded, the draft pays and the tip arrives', async ({
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
    await setInboxFee(bob, '10');
    await shot(bob, 'tips-01-stranger-sets-fee');
    await bob.getByRole('button', { name: 'Close the tip settings' }).click();

    // Ada writes to Bob with an empty wallet: the fee line warns, Send is refused (fee not covered), nothing is lost.
    const composer = await composeTo(ada, bobAddress, 'A paid hello');
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

    // Bob: the message with its tip, the fee less his beacon's cut.
    const cuts = operatorCuts(networkFile);
    expect(cuts, 'every node of the embedded network publishes the same inbox-fee cut').toHaveLength(1);
    const tip = ccText(FEE_UNITS - cuts[0]!);
    await (await arrivedInInbox(bob, 'A paid hello')).click();
    const paid = bob.getByRole('article', { name: 'A paid hello' });
    await expect(paid.getByText(`Tip: ${tip} CC received, in your wallet.`)).toBeVisible({ timeout: 120_000 });
    // The list row says so too.
    await expect(
      bob.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'A paid hello' }),
    ).toContainText(`Tip ${tip} CC`);
    await shot(bob, 'tips-06-stranger-sees-tip');
    expect(consoleErrors).toEqual([]);
    expect(second.errors).toEqual([]);
  } finally {
    await second.close();
  }
});
