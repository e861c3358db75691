// The mail features a newcomer reaches for after the first qmail: feedback after Send and
// per-recipient delivery on Sent, layouts bounded by the network, a threaded answer,
// search through the engine's index with highlighted words, archive and restore, drafts
// that survive a reload, and outbox items that go back to the composer.
import AxeBuilder from '@axe-core/playwright';
import { createVault, expect, onboard, shot, test } from './fixtures.js';
import type { Page } from '@playwright/test';
import { awaitAnswer, pickCorrespondent } from './mail-steps.js';

const PASSPHRASE = 'maple orbit lantern 42';

const folder = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: new RegExp(`^${name}`) });
const list = (page: Page, name: string) => page.getByRole('listbox', { name: `Messages in ${name}` });
const search = (page: Page) => page.getByRole('searchbox', { name: 'Search messages in this folder' });

/** Serious and critical axe findings on the page as it is now. */
async function axeFindings(page: Page): Promise<string[]> {
  await page.waitForTimeout(150);
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/** Screenshots at 1280 and 720 px wide, light and dark; axe finds nothing serious in either scheme. */
async function shots(page: Page, name: string) {
  await shot(page, `${name}-light`);
  expect(await axeFindings(page), `${name} (light)`).toEqual([]);
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, `${name}-dark`);
  expect(await axeFindings(page), `${name} (dark)`).toEqual([]);
  await page.setViewportSize({ width: 720, height: 800 });
  await shot(page, `${name}-720-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  await shot(page, `${name}-720-light`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('send feedback, delivery, a threaded answer, search with highlights, archive and restore', async ({ app: page, consoleErrors }) => {
  test.setTimeout(240_000);
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace');

  await page.keyboard.press('c');
  const dialog = await pickCorrespondent(page);
  await dialog.getByLabel('Subject').fill('Stripe notes');
  await dialog.getByLabel('Message').fill(`${'The beacon hums along. '.repeat(12)}Remember the periwinkle lantern.`);
  await dialog
    .getByLabel('Attach files')
    .setInputFiles({ name: 'budget-forecast.txt', mimeType: 'text/plain', buffer: Buffer.from('numbers\n') });

  // Five servers on the embedded network: a 10+2 layout is refused in the composer, before sending.
  await expect(dialog.getByText(/of 5 available/)).toBeVisible();
  await dialog.getByLabel('Data stripes').fill('10');
  await dialog.getByLabel('Parity').fill('2');
  await expect(
    dialog.getByText('Only 5 servers can be used on this network: data plus parity stripes is at most 5.').first(),
  ).toBeVisible();
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Data stripes').fill('3');
  await dialog.getByLabel('Parity').fill('1');
  await expect(dialog.getByText('4 servers of 5 available; survives 1 lost')).toBeVisible();
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // The status toast says it is on its way, then to whom it went.
  const status = page.getByTestId('send-status');
  await expect(status).toContainText('Sent to QMail Correspondent: “Stripe notes”', { timeout: 60_000 });

  // Sent: one message, delivered to the recipient's beacon.
  await folder(page, 'Sent').click();
  await expect(page.locator('.list-header')).toContainText('1 message');
  await list(page, 'Sent').getByRole('option').filter({ hasText: 'Stripe notes' }).click();
  const sent = page.getByRole('article', { name: 'Stripe notes' });
  await expect(sent.getByRole('list', { name: 'Delivery' })).toContainText(
    /QMail Correspondent <[0-9a-f.]+>\s*Delivered to the recipient’s beacon/,
  );
  await shots(page, 'mail-features-sent-delivery');

  // The answer arrives by itself and belongs to the same conversation.
  const answer = await awaitAnswer(page, 'Stripe notes');
  await answer.click();
  const reply = page.getByRole('article', { name: 'Re: Stripe notes' });
  const conversation = reply.getByRole('navigation', { name: 'Conversation' });
  await expect(conversation).toContainText('Conversation · 2 messages');
  await expect(conversation.getByRole('button', { name: /Ada Lovelace .*Sent \(answered here\)/ })).toBeVisible();

  // Search goes through the engine's index: the text, attachment names and names, with the words marked.
  await folder(page, 'Sent').click();
  await search(page).fill('periwinkle');
  const hit = list(page, 'Sent').getByRole('option').filter({ hasText: 'Stripe notes' });
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText('periwinkle');
  await expect(page.locator('.list-header')).toContainText('1 match');
  await shots(page, 'mail-features-search');
  await search(page).fill('forecast');
  await expect(hit.locator('.row-preview')).toHaveText('Attachment: budget-forecast.txt');
  await expect(hit.locator('mark')).toHaveText('forecast');
  await search(page).fill('nothing like this');
  await expect(page.getByText(/Nothing in Sent matches/)).toBeVisible();
  await search(page).fill('');
  await folder(page, 'Inbox').click();
  await search(page).fill('correspondent');
  await expect(list(page, 'Inbox').getByRole('option').filter({ hasText: 'Re: Stripe notes' }).locator('.row-from mark')).toHaveText(
    'Correspondent',
  );
  await search(page).fill('');

  // Archive from the list with E, and from the reader with its button (from Archive it goes back to Inbox).
  const inboxRow = list(page, 'Inbox').getByRole('option').filter({ hasText: 'Re: Stripe notes' });
  await inboxRow.click();
  await list(page, 'Inbox').focus();
  await page.keyboard.press('e');
  await expect(inboxRow).toHaveCount(0);
  await folder(page, 'Archive').click();
  const archived = list(page, 'Archive').getByRole('option').filter({ hasText: 'Re: Stripe notes' });
  await archived.click();
  await page.getByRole('article', { name: 'Re: Stripe notes' }).getByRole('button', { name: 'Move to Inbox' }).click();
  await expect(archived).toHaveCount(0);
  // And with the list's own button, for the selected row.
  await folder(page, 'Inbox').click();
  await inboxRow.click();
  await page.getByRole('region', { name: 'Inbox messages' }).getByRole('button', { name: 'Archive', exact: true }).click();
  await expect(inboxRow).toHaveCount(0);

  // Delete from Archive, restore from Trash back to Archive; from Trash, deleting asks first.
  await folder(page, 'Archive').click();
  await archived.click();
  await page.getByRole('article', { name: 'Re: Stripe notes' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await folder(page, 'Trash').click();
  const trashed = list(page, 'Trash').getByRole('option').filter({ hasText: 'Re: Stripe notes' });
  await trashed.click();
  await page.getByRole('article', { name: 'Re: Stripe notes' }).getByRole('button', { name: 'Restore to Archive' }).click();
  await expect(trashed).toHaveCount(0);
  await folder(page, 'Archive').click();
  await archived.click();
  await page.keyboard.press('Delete');
  await folder(page, 'Trash').click();
  await trashed.click();
  const article = page.getByRole('article', { name: 'Re: Stripe notes' });
  await article.getByRole('button', { name: 'Delete for good' }).click();
  const confirm = page.getByRole('alertdialog');
  await expect(confirm).toContainText('It cannot be restored afterwards.');
  await shots(page, 'mail-features-confirm-delete');
  await confirm.getByRole('button', { name: 'Delete for good' }).click();
  await expect(trashed).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Trash is empty' })).toBeVisible();

  expect(consoleErrors).toEqual([]);
});

test('drafts survive a reload, and outbox items go back to the composer or to Drafts', async ({ app: page, consoleErrors }) => {
  test.setTimeout(180_000);
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Grace Hopper');

  // A message half written when the page goes away is offered again after unlocking.
  await page.keyboard.press('c');
  // The title turns from "New message" to "Edit draft" once the draft is saved on its own.
  let dialog = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await dialog.getByRole('combobox', { name: 'To' }).fill('0006.0.999999');
  await dialog.getByLabel('Subject').fill('Unfinished thoughts');
  await dialog.getByLabel('Message').fill('First paragraph');
  await expect(dialog.getByText(/Draft saved at/)).toBeVisible({ timeout: 15_000 });
  await dialog.getByLabel('Message').pressSequentially(', and a second');
  // Words typed since the last save: the browser asks before leaving, and the save goes out meanwhile.
  const asked = new Promise<string>((resolve) => page.once('dialog', (d) => void d.accept().then(() => resolve(d.type()))));
  await page.reload();
  expect(await asked).toBe('beforeunload');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  const offer = page.getByRole('region', { name: 'Unsent draft' });
  await expect(offer).toContainText('You were writing “Unfinished thoughts” to 0006.0.999999. It was saved as a draft.');
  await shots(page, 'mail-features-resume-draft');
  await offer.getByRole('button', { name: 'Continue writing' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit draft' });
  await expect(dialog.getByLabel('Message')).toHaveText('First paragraph, and a second');

  // Sent to an address no directory knows, it fails in the outbox, saying why for that recipient.
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('send-status')).toContainText('Not sent to 0006.0.999999', { timeout: 60_000 });
  const outbox = page.getByRole('region', { name: 'Outbox' });
  await expect(outbox).toContainText('Not sent: 0006.0.999999 is not in the directory');
  await expect(page.getByTestId('send-status')).toContainText(
    'is not in the directory; check the address. It waits in the outbox (Retry, or Edit).',
  );
  await shots(page, 'mail-features-outbox-failed');

  // Edit opens it in the composer, whole; closing keeps it in Drafts, not in the outbox.
  await outbox.getByRole('button', { name: 'Edit Unfinished thoughts' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit draft' });
  await expect(dialog.getByLabel('Subject')).toHaveValue('Unfinished thoughts');
  await expect(dialog.getByLabel('Message')).toHaveText('First paragraph, and a second');
  await dialog.getByRole('button', { name: 'Close the composer' }).click();
  await expect(outbox).toBeHidden();
  await folder(page, 'Drafts').click();
  await expect(list(page, 'Drafts').getByRole('option').filter({ hasText: 'Unfinished thoughts' })).toHaveCount(1);
  await expect(page.locator('.list-header')).toContainText('1 message');

  // Cancel, too, gives it back to Drafts instead of discarding it.
  await list(page, 'Drafts').getByRole('option').filter({ hasText: 'Unfinished thoughts' }).click();
  await page.getByRole('button', { name: 'Edit draft' }).click();
  dialog = page.getByRole('dialog', { name: 'Edit draft' });
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(outbox.getByRole('button', { name: /^Cancel sending Unfinished thoughts/ })).toBeVisible({ timeout: 60_000 });
  await outbox.getByRole('button', { name: /^Cancel sending Unfinished thoughts/ }).click();
  await expect(page.getByTestId('send-status')).toContainText('“Unfinished thoughts” is back in Drafts, not sent.');
  await expect(list(page, 'Drafts').getByRole('option').filter({ hasText: 'Unfinished thoughts' })).toHaveCount(1);

  expect(consoleErrors).toEqual([]);
});
