// The recovery phrase is confirmed before the inbox opens: a reload does not skip that step,
// the phrase can be shown again there after the passphrase, and later from "Your identity".
import { confirmPhrase, createVault, expect, shot, test } from './fixtures.js';

const PASSPHRASE = 'maple orbit lantern 42';

test('a reload returns to the phrase confirmation, and the phrase can be seen again only with the passphrase', async ({
  app: page,
  consoleErrors,
}) => {
  await createVault(page, PASSPHRASE);
  await expect(page.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Your name').fill('Katherine Johnson');
  await expect(page.getByRole('checkbox', { name: /^Store mail on / }).first()).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Create my address' }).click();
  const list = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(list).toHaveCount(24, { timeout: 90_000 });
  const phrase = (await list.allInnerTexts()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm your recovery phrase' })).toBeVisible();

  // A reload locks the vault; unlocking brings back the confirmation, not the inbox.
  await page.reload();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm your recovery phrase' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('navigation', { name: 'Folders' })).toHaveCount(0);

  // Wrong words are refused, with the position named.
  const form = page.getByRole('form', { name: 'Confirm your recovery phrase' });
  const fields = form.getByRole('textbox', { name: /^Word \d+$/ });
  await expect(fields).toHaveCount(3);
  for (const f of await fields.all()) await f.fill('wrong');
  await form.getByRole('button', { name: 'Open my inbox' }).click();
  await expect(page.getByRole('alert')).toContainText(/^Words? \d+.* not match your recovery phrase\.$/);

  // "Show the phrase again" asks for the passphrase first.
  await page.getByRole('button', { name: 'I did not write it down: show the phrase again' }).click();
  const reveal = page.getByRole('form', { name: 'Show the recovery phrase again' });
  await reveal.getByLabel('Your passphrase').fill('not my passphrase');
  await reveal.getByRole('button', { name: 'Show the phrase' }).click();
  await expect(reveal.getByRole('alert')).toContainText('passphrase');
  await reveal.getByLabel('Your passphrase').fill(PASSPHRASE);
  await reveal.getByRole('button', { name: 'Show the phrase' }).click();
  await expect(list).toHaveCount(24);
  expect((await list.allInnerTexts()).map((w) => w.trim())).toEqual(phrase);
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await confirmPhrase(page, phrase, 'phrase');
  await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });

  // Later: "Your identity" shows the phrase again after the passphrase, and forgets it on close.
  await page.getByRole('button', { name: /^Katherine Johnson/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Your identity' });
  await expect(dialog).toContainText(/0006\.\d+\.\d+/);
  await expect(dialog.getByRole('list', { name: 'Recovery phrase' })).toHaveCount(0);
  await dialog.getByLabel('Passphrase').fill('still not it');
  await dialog.getByRole('button', { name: 'Show the recovery phrase' }).click();
  await expect(dialog.getByRole('alert')).toContainText('passphrase');
  await dialog.getByLabel('Passphrase').fill(PASSPHRASE);
  await dialog.getByRole('button', { name: 'Show the recovery phrase' }).click();
  const again = dialog.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(again).toHaveCount(24);
  expect((await again.allInnerTexts()).map((w) => w.trim())).toEqual(phrase);
  await shot(page, 'identity-phrase');
  await dialog.getByRole('button', { name: 'Close your identity' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: /^Katherine Johnson/ }).click();
  await expect(dialog.getByRole('list', { name: 'Recovery phrase' })).toHaveCount(0);
  await expect(dialog.getByLabel('Passphrase')).toHaveValue('');
  await dialog.getByRole('button', { name: 'Close your identity' }).click();

  // A reload now goes straight to the inbox after unlocking.
  await page.reload();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });
  expect(consoleErrors).toEqual([]);
});
