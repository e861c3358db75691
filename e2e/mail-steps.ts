// Steps several e2e tests share: pick the built-in correspondent in the composer, send at a
// level, wait for an answer without touching "Check mail", and read a certificate's key IDs.
import { expect, type Locator, type Page } from '@playwright/test';

export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** In an open composer: type part of the correspondent's name and pick it from the suggestions. */
export async function pickCorrespondent(page: Page, typed = 'QMail Corr'): Promise<Locator> {
  // The composer's title turns to "Edit draft" once it saved a draft on its own.
  const dialog = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  const to = dialog.getByRole('combobox', { name: 'To' });
  // The correspondent registers a few seconds after the network starts: type until the directory knows it.
  await expect(async () => {
    await to.fill('');
    await to.pressSequentially(typed);
    await expect(dialog.getByRole('listbox', { name: 'To suggestions' }).getByRole('option').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await dialog.getByRole('listbox', { name: 'To suggestions' }).getByRole('option').first().click();
  await expect(to).toHaveValue(/QMail Correspondent <[0-9a-f]{4}\.-?\d+\.\d+>/);
  return dialog;
}

/** Writes to the correspondent at a level and sends; resolves once the composer closed. `beforeSend` sees the filled composer. */
export async function sendToCorrespondent(
  page: Page,
  level: 'L1' | 'L2' | 'L3',
  subject: string,
  body: string,
  beforeSend?: (dialog: Locator) => Promise<unknown>,
): Promise<void> {
  await page.keyboard.press('c');
  const dialog = await pickCorrespondent(page);
  await dialog.getByLabel('Subject').fill(subject);
  await dialog.getByLabel('Message').fill(body);
  const radio = dialog.getByRole('radio', { name: new RegExp(level) });
  await expect(radio).toBeEnabled({ timeout: 30_000 });
  await radio.check();
  await beforeSend?.(dialog);
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
}

/** The Inbox row of an answer, waited for without any click: new mail must arrive by itself. */
export async function awaitAnswer(page: Page, subject: string, timeout = 90_000): Promise<Locator> {
  await page
    .getByRole('navigation', { name: 'Folders' })
    .getByRole('button', { name: /^Inbox/ })
    .click();
  const row = page
    .getByRole('listbox', { name: 'Messages in Inbox' })
    .getByRole('option')
    .filter({ hasText: `Re: ${subject}` });
  await expect(row).toHaveCount(1, { timeout });
  return row;
}

/** The key IDs a certificate dialog lists, and their KME, in order. */
export async function certificateKeys(cert: Locator): Promise<{ keyId: string; kme: string }[]> {
  const items = cert.getByRole('list', { name: /^Key IDs/ }).getByRole('listitem');
  await expect(items.first()).toBeVisible();
  return (await items.allInnerTexts()).map((t) => {
    const m = /^([0-9a-f-]{36})\s+from KME (\S+)$/.exec(t.trim());
    if (!m) throw new Error(`unexpected key ID row: ${t}`);
    return { keyId: m[1]!, kme: m[2]! };
  });
}
