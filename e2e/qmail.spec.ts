// The first qmail: a newcomer onboards on the embedded network, writes to the built-in
// correspondent with an attachment, watches it leave, and reads the answer.
import { join } from 'node:path';
import { createVault, expect, onboard, shot, test } from './fixtures.js';
import type { Page } from '@playwright/test';

const PASSPHRASE = 'maple orbit lantern 42';

async function pickCorrespondent(page: Page) {
  const dialog = page.getByRole('dialog', { name: 'New message' });
  const to = dialog.getByRole('combobox', { name: 'To' });
  // The correspondent registers a few seconds after the network starts: type until the directory knows it.
  await expect(async () => {
    await to.fill('');
    await to.pressSequentially('QMail Corr');
    await expect(dialog.getByRole('listbox', { name: 'To suggestions' }).getByRole('option').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await dialog.getByRole('listbox', { name: 'To suggestions' }).getByRole('option').first().click();
  await expect(to).toHaveValue(/QMail Correspondent <[0-9a-f]{4}\.-?\d+\.\d+>/);
  return dialog;
}

test('a newcomer sends a qmail with an attachment and reads the reply', async ({ app: page, consoleErrors }) => {
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace', 'qmail-onboarding');
  await expect(page.getByText('Ada Lovelace')).toBeVisible();

  await page.keyboard.press('c');
  const dialog = await pickCorrespondent(page);
  await dialog.getByLabel('Subject').fill('Hello from the garage node');
  await dialog.getByLabel('Message').fill('Dear correspondent,\n\nThe stripes are flying. See the attached notes.\n\nAda');
  await dialog.getByLabel('Attach files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Quantum notes: 42 stripes and a beacon.\n') });
  await expect(dialog.getByRole('region', { name: 'Attachments' })).toContainText('notes.txt');
  await expect(dialog.getByRole('region', { name: 'Attachments' })).toContainText('40 B');
  // Levels: 3 is the default; plain is for legacy mail only; without a KME, 1 and 2 say why.
  await expect(dialog.getByRole('radio', { name: /L3/ })).toBeChecked();
  await expect(dialog.getByRole('radio', { name: /Plain/ })).toBeDisabled();
  await expect(dialog.getByRole('radio', { name: /L1/ })).toBeDisabled();
  await expect(dialog.getByText(/L1 unavailable: no KME configured/)).toBeVisible();
  await shot(page, 'qmail-composer');
  await dialog.getByLabel('Message').press('Control+Enter');
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // It leaves through the outbox and lands in Sent.
  const folders = page.getByRole('navigation', { name: 'Folders' });
  await folders.getByRole('button', { name: /^Sent/ }).click();
  const sentRow = page.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'Hello from the garage node' });
  await expect(sentRow).toHaveCount(1, { timeout: 60_000 });
  await shot(page, 'qmail-sent');

  // The reply arrives in the Inbox.
  await folders.getByRole('button', { name: /^Inbox/ }).click();
  const reply = page.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'Re: Hello from the garage node' });
  await expect(async () => {
    await page.getByRole('button', { name: 'Check mail' }).click();
    await expect(reply).toHaveCount(1, { timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  await reply.click();
  const article = page.getByRole('article', { name: 'Re: Hello from the garage node' });
  await expect(article).toContainText('arrived intact');
  await expect(article).toContainText('notes.txt');
  await expect(article).toContainText('QMail Correspondent');
  await expect(article.getByText(/L3 · Post-quantum/)).toBeVisible();
  await shot(page, 'qmail-reply');

  // Its certificate says how it was protected, from verified data.
  await article.getByRole('button', { name: 'Certificate' }).click();
  const cert = page.getByRole('dialog', { name: 'Security certificate' });
  await expect(cert).toContainText('ML-DSA');
  await expect(cert).toContainText('verified');
  await shot(page, 'qmail-reply-certificate');
  await cert.getByRole('button', { name: 'Close the certificate' }).click();

  // r replies: recipients and subject are filled in.
  await page.getByRole('listbox', { name: 'Messages in Inbox' }).focus();
  await page.keyboard.press('r');
  const replyDialog = page.getByRole('dialog', { name: 'New message' });
  await expect(replyDialog.getByLabel('Subject')).toHaveValue('Re: Hello from the garage node');
  await expect(replyDialog.getByRole('combobox', { name: 'To' })).toHaveValue(/\d+\.\d+/);
  await replyDialog.getByRole('button', { name: 'Discard' }).click();

  expect(consoleErrors).toEqual([]);
});

test('the certificate of a level 2 message lists its QKD key IDs', async ({ app: page, host }) => {
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace');

  // Import side A of the embedded KME pair and test the link.
  await page.getByRole('button', { name: 'Quantum keys' }).click();
  const settings = page.getByRole('dialog', { name: 'Quantum keys (KME)' });
  await settings.getByRole('form', { name: 'Import a kme.json' }).getByLabel('File').fill(join(host.profileDir, 'network', 'kme', 'kme.json'));
  await settings.getByRole('button', { name: 'Import' }).click();
  await expect(settings.getByText(/^Configured: https:\/\//)).toBeVisible({ timeout: 30_000 });
  await settings.getByRole('button', { name: 'Test connection' }).click();
  await expect(settings.getByText(/✓ Connected to KME/)).toBeVisible({ timeout: 30_000 });
  await shot(page, 'kme-settings');
  await settings.getByRole('button', { name: 'Close the settings' }).click();

  await page.keyboard.press('c');
  const dialog = await pickCorrespondent(page);
  await dialog.getByLabel('Subject').fill('Keys from the quantum link');
  await dialog.getByLabel('Message').fill('Sealed with QKD keys.');
  const l2 = dialog.getByRole('radio', { name: /L2/ });
  await expect(l2).toBeEnabled({ timeout: 30_000 });
  await l2.check();
  await shot(page, 'qkd-composer');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Sent/ }).click();
  const row = page.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'Keys from the quantum link' });
  await expect(row).toHaveCount(1, { timeout: 60_000 });
  await row.click();
  const article = page.getByRole('article', { name: 'Keys from the quantum link' });
  await expect(article.getByText('Quantum Secured')).toBeVisible();
  await article.getByRole('button', { name: 'Certificate' }).click();
  const cert = page.getByRole('dialog', { name: 'Security certificate' });
  const keys = cert.getByRole('list', { name: /^Key IDs/ }).first();
  await expect(keys.getByRole('listitem').first()).toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  await expect(cert).toContainText('L2');
  await expect(cert).toContainText('KME IDs');
  await shot(page, 'qkd-certificate');
});
