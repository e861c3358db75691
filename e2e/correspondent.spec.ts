// The built-in correspondent as a newcomer meets it: introduced on the empty Inbox, found by
// any part of its name or by its address, reached by a name typed in full without picking
// it, and answered with a proper reply (titled "Re: …", quoting it by name, typing in the text).
import { createVault, expect, onboard, shot, test } from './fixtures.js';
import { awaitAnswer } from './mail-steps.js';

const PASSPHRASE = 'maple orbit lantern 42';

test('the empty inbox says hello to the correspondent; autocomplete, typed names and replies work as people expect', async ({
  app: page,
  consoleErrors,
}) => {
  test.setTimeout(240_000);
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Mary Jackson');

  // The empty Inbox introduces the correspondent, and one click writes to it.
  const hello = page.getByRole('button', { name: 'Say hello to QMail Correspondent' });
  await expect(hello).toBeVisible({ timeout: 90_000 });
  const intro = page.getByTestId('empty-state').locator('.say-hello');
  const address = /0006\.\d+\.\d+/.exec(await intro.innerText())![0];
  await shot(page, 'inbox-say-hello');
  await hello.click();
  const composer = page.getByRole('dialog', { name: 'New message' });
  const to = composer.getByRole('combobox', { name: 'To' });
  await expect(to).toHaveValue(`QMail Correspondent <${address}>`);
  await expect(composer.getByLabel('Subject')).toBeFocused();
  await composer.getByRole('button', { name: 'Discard' }).click();

  // Autocomplete finds it by any part of its name, any case, and by its address.
  await page.keyboard.press('c');
  const suggestions = composer.getByRole('listbox', { name: 'To suggestions' });
  for (const typed of ['corr', 'Correspondent', 'spondent', 'QMAIL', address]) {
    await to.fill('');
    await to.pressSequentially(typed);
    await expect(suggestions.getByRole('option').filter({ hasText: 'QMail Correspondent' })).toBeVisible({ timeout: 10_000 });
  }
  await to.press('Escape');

  // A name nobody has: Send keeps the composer open and says so at the field; nothing is saved.
  await to.fill('Nobody At All');
  await composer.getByLabel('Subject').fill('Hello by name');
  await composer.getByLabel('Message').fill('Typed, not picked.');
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer.getByRole('alert')).toHaveText(/^No one in the directory is called “Nobody At All”/);
  await expect(to).toHaveAttribute('aria-invalid', 'true');
  await expect(composer).toBeVisible();
  await shot(page, 'composer-unknown-name');

  // The full name typed without picking it: Send finds it and sends.
  await to.fill('qmail correspondent');
  await expect(composer.getByRole('alert')).toHaveCount(0);
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer).toBeHidden({ timeout: 30_000 });
  const folders = page.getByRole('navigation', { name: 'Folders' });
  await folders.getByRole('button', { name: /^Sent/ }).click();
  const sent = page.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'Hello by name' });
  await expect(sent).toHaveCount(1, { timeout: 60_000 });
  await expect(sent).toContainText('QMail Correspondent');
  await expect(folders.getByRole('button', { name: /^Drafts/ })).not.toHaveAccessibleName(/Drafts, \d/);

  // The answer, and a reply to it.
  await (await awaitAnswer(page, 'Hello by name')).click();
  await page.getByRole('article', { name: 'Re: Hello by name' }).getByRole('button', { name: 'Reply' }).click();
  const reply = page.getByRole('dialog', { name: 'Re: Hello by name' });
  await expect(reply).toBeVisible();
  const text = reply.getByLabel('Message');
  await expect(text).toBeFocused();
  // The original sits in a quote block under the header naming its sender; the caret above it.
  await expect(text).toContainText(/QMail Correspondent wrote on .+:/);
  await expect(text.locator('blockquote')).toContainText('arrived intact');
  await expect(reply.getByRole('combobox', { name: 'To' })).toHaveValue(new RegExp(address.replace(/\./g, '\\.')));
  await page.keyboard.type('Thanks!');
  await expect.poll(() => text.innerText()).toMatch(/^Thanks!\n\nQMail Correspondent wrote on/);
  await shot(page, 'composer-reply');
  // The title stays the reply's while its draft saves on its own.
  await page.waitForTimeout(2_500);
  await expect(page.getByRole('dialog', { name: 'Re: Hello by name' })).toBeVisible();
  await reply.getByRole('button', { name: /^(Discard|Close without saving)$/ }).click();
  expect(consoleErrors).toEqual([]);
});
