// The foundation journey: a newcomer creates a vault, writes a draft, finds it again,
// and after a reload gets back in only with the right passphrase.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createVault, expect, onboard, repoRoot, shot, test } from './fixtures.js';

const PASSPHRASE = 'maple orbit lantern 42';

test('a newcomer creates a vault, saves a draft, and finds it again after unlocking', async ({ app: page, consoleErrors }) => {
  // First run: the token has left the address bar, and the vault screen greets us.
  await expect(page.getByRole('heading', { name: 'Welcome to QMail' })).toBeVisible();
  expect(page.url()).not.toContain('token=');
  await shot(page, 'first-run-light');

  const pass = page.getByLabel('Passphrase', { exact: true });
  await expect(pass).toBeFocused();
  await pass.fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').fill('maple orbit lantern 43');
  await page.getByRole('button', { name: 'Create vault' }).click();
  await expect(page.getByRole('alert')).toContainText('different');
  await page.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create vault' }).click();

  // Onboarding: an identity and its servers, then the recovery phrase once.
  await onboard(page, 'Grace Hopper', 'onboarding');

  // The empty Inbox tells a newcomer what to do next.
  const folders = page.getByRole('navigation', { name: 'Folders' });
  await expect(folders).toBeVisible({ timeout: 60_000 });
  await expect(folders.getByRole('button', { name: 'Inbox' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { name: 'Inbox', level: 2 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Your inbox is empty' })).toBeVisible();
  await expect(page.getByText('press C or choose Compose')).toBeVisible();
  await shot(page, 'inbox-empty-light');

  // Compose with the keyboard shortcut and save a draft.
  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAccessibleName('New message');
  await expect(dialog.getByLabel('To')).toBeFocused();
  await dialog.getByLabel('To').fill('ada@example.org');
  await dialog.getByLabel('Subject').fill('Quarterly stripes');
  await dialog.getByLabel('Message').fill('Hello Ada,\n\nThe stripes are in place.\n\nGrace');
  await shot(page, 'composer-light');
  await dialog.getByRole('button', { name: 'Save draft' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Draft saved' })).toBeVisible();
  await expect(dialog).toHaveAccessibleName('Edit draft');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // It is in Drafts, in the list and in the reader.
  await expect(folders.getByRole('button', { name: /^Drafts, 1/ })).toBeVisible();
  await folders.getByRole('button', { name: /^Drafts/ }).click();
  const list = page.getByRole('listbox', { name: 'Messages in Drafts' });
  const row = list.getByRole('option').filter({ hasText: 'Quarterly stripes' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('ada@example.org');
  await list.focus();
  await page.keyboard.press('Enter');
  const article = page.getByRole('article', { name: 'Quarterly stripes' });
  await expect(article).toBeVisible();
  await expect(article).toContainText('The stripes are in place.');
  await expect(article.getByRole('button', { name: 'Edit draft' })).toBeVisible();
  await shot(page, 'drafts-reader-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'drafts-reader-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // A reload ends the session: the vault is locked again.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Unlock QMail' })).toBeVisible();
  const unlock = page.getByLabel('Passphrase', { exact: true });
  await unlock.fill('not my passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toHaveText('That passphrase does not open this vault. Check Caps Lock and try again.', {
    timeout: 60_000,
  });
  await expect(unlock).toHaveValue('not my passphrase');
  await expect(unlock).toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'unlock-wrong-light');

  await unlock.fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(folders).toBeVisible({ timeout: 60_000 });
  await folders.getByRole('button', { name: /^Drafts/ }).click();
  await page.getByRole('listbox', { name: 'Messages in Drafts' }).getByRole('option').filter({ hasText: 'Quarterly stripes' }).click();
  await expect(page.getByRole('article', { name: 'Quarterly stripes' })).toContainText('Grace');

  expect(consoleErrors).toEqual([]);
});

test('the main window in light and dark', async ({ app: page }) => {
  await createVault(page, PASSPHRASE);
  await onboard(page);

  const drafts: [string, string, string][] = [
    [
      'Lin Okafor <lin@example.org>',
      'Server shortlist for the garage node',
      'I compared the four operators we talked about; the one in Tallinn is cheapest per MB and has the best uptime.',
    ],
    ['team@example.org', 'Notes from Thursday', 'Action items: rotate the KME certificates, write the beacon runbook, book the demo.'],
    ['grace@example.org', 'Re: quantum keys for the lab', 'Yes — the ETSI 014 link is up. Let us try a level 2 message tomorrow morning.'],
  ];
  for (const [to, subject, body] of drafts) {
    await page.keyboard.press('c');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('To').fill(to);
    await dialog.getByLabel('Subject').fill(subject);
    await dialog.getByLabel('Message').fill(body);
    await dialog.getByRole('button', { name: 'Save draft' }).click();
    await expect(dialog.getByRole('status').filter({ hasText: 'Draft saved' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  }
  await page
    .getByRole('navigation', { name: 'Folders' })
    .getByRole('button', { name: /^Drafts/ })
    .click();
  const list = page.getByRole('listbox', { name: 'Messages in Drafts' });
  await expect(list.getByRole('option')).toHaveCount(3);

  // Keyboard: j moves the cursor, Enter opens; / focuses the filter, Esc leaves it.
  await list.focus();
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('article')).toBeVisible();
  const opened = await page.getByRole('article').getByRole('heading', { level: 2 }).textContent();
  await expect(list.getByRole('option', { selected: true })).toContainText(opened ?? '');
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search messages in this folder' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(list).toBeFocused();

  await shot(page, 'main-light');
  if (process.env.QMAIL_UPDATE_SCREENSHOT === '1') {
    // The README picture is refreshed on request only, so test runs leave the tree clean.
    await mkdir(join(repoRoot, 'docs', 'images'), { recursive: true });
    await copyFile(join(repoRoot, 'artifacts', 'e2e', 'main-light.png'), join(repoRoot, 'docs', 'images', 'screenshot.png'));
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(21, 23, 28)');
  await shot(page, 'main-dark');
});

test('a WebSocket without the token is refused', async ({ app: page, host }) => {
  await expect(page.getByRole('heading', { name: 'Welcome to QMail' })).toBeVisible();
  const wsUrl = `ws://127.0.0.1:${host.port}/ws`;
  const outcome = (url: string, protocols?: string[]) =>
    page.evaluate(
      ([u, p]) =>
        new Promise<string>((resolve) => {
          const ws = p ? new WebSocket(u as string, p as string[]) : new WebSocket(u as string);
          ws.onopen = () => {
            ws.close();
            resolve('open');
          };
          ws.onerror = () => resolve('refused');
          setTimeout(() => resolve('timeout'), 10_000);
        }),
      [url, protocols] as const,
    );
  expect(await outcome(wsUrl)).toBe('refused');
  expect(await outcome(wsUrl, ['qmail.token.not-the-real-token-at-all'])).toBe('refused');
  // The same page with the right token gets in, so the refusals above are about the token.
  expect(await outcome(wsUrl, [`qmail.token.${host.token}`])).toBe('open');
  expect(host.log()).toContain('refused a WebSocket without the session token');
});

test('a long folder stays light: rows are virtualised and fetched page by page', async ({ app: page, host }) => {
  await createVault(page, PASSPHRASE);
  await onboard(page);

  // Seed 1,000 drafts through the contract, from a second socket of the same page.
  const COUNT = 1000;
  const saved = await page.evaluate(
    ([url, token, count]) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url as string, [`qmail.token.${token as string}`]);
        let answered = 0;
        ws.onerror = () => reject(new Error('seeding socket refused'));
        ws.onmessage = (ev) => {
          const frame = JSON.parse(String(ev.data)) as { t: string; ok?: boolean; error?: { message: string } };
          if (frame.t !== 'res') return;
          if (!frame.ok) return reject(new Error(frame.error?.message));
          if (++answered === count) {
            ws.close();
            resolve(answered);
          }
        };
        ws.onopen = () => {
          for (let i = 0; i < (count as number); i++) {
            const n = String(i).padStart(4, '0');
            ws.send(
              JSON.stringify({
                t: 'req',
                id: i + 1,
                ch: 'drafts.save',
                input: { to: [`reader${n}@example.org`], subject: `Bulk draft ${n}`, body: `Body ${n}` },
              }),
            );
          }
        };
      }),
    [`ws://127.0.0.1:${host.port}/ws`, host.token, COUNT] as const,
  );
  expect(saved).toBe(COUNT);

  const folders = page.getByRole('navigation', { name: 'Folders' });
  await expect(folders.getByRole('button', { name: `Drafts, ${COUNT}` })).toBeVisible();
  await folders.getByRole('button', { name: /^Drafts/ }).click();
  const list = page.getByRole('listbox', { name: 'Messages in Drafts' });
  await expect(page.getByText(`${COUNT} messages`)).toBeVisible();
  const options = list.getByRole('option');
  await expect(options.first()).toBeVisible();
  const rendered = await options.count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(60); // a window of rows, not a thousand
  await expect(options.first()).toHaveAttribute('aria-setsize', String(COUNT));

  // End jumps to the last row; its page is fetched on the way.
  await list.focus();
  await page.keyboard.press('End');
  const lastRow = list.getByRole('option', { selected: true });
  await expect(lastRow).toHaveAttribute('aria-posinset', String(COUNT));
  await expect(lastRow).not.toHaveAttribute('aria-busy', 'true');
  await expect(lastRow).toContainText('Bulk draft');
  expect(await options.count()).toBeLessThan(60);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('article')).toContainText('Body ');
});

test('a reopened draft keeps Cc, level, stripes and its attachment; the local test KME takes one click', async ({
  app: page,
  consoleErrors,
}) => {
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Grace Hopper');
  const folders = page.getByRole('navigation', { name: 'Folders' });
  await expect(folders).toBeVisible({ timeout: 60_000 });

  await page.keyboard.press('c');
  // The composer's name turns from "New message" to "Edit draft" once saved.
  const dialog = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await expect(dialog).toHaveAccessibleName('New message');
  await dialog.getByLabel('To').fill('0006.1.7');
  await dialog.getByRole('button', { name: 'Cc', exact: true }).click();
  await dialog.getByLabel('Cc').fill('0006.1.8');
  await dialog.getByLabel('Subject').fill('Everything kept');
  await dialog.getByLabel('Message').fill('With all the settings.');
  await dialog.getByRole('radio', { name: /^L4/ }).check();
  // A layout other than the default that fits the embedded network's five servers.
  await dialog.getByLabel('Data stripes').fill('3');
  await dialog.getByLabel('Parity').fill('2');
  await dialog
    .getByLabel('Attach files')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('stripes and parity') });
  await expect(dialog.getByText('notes.txt')).toBeVisible();
  await dialog.getByRole('button', { name: 'Save draft' }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Draft saved' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await folders.getByRole('button', { name: /^Drafts/ }).click();
  await page.getByRole('listbox', { name: 'Messages in Drafts' }).getByRole('option').filter({ hasText: 'Everything kept' }).click();
  const article = page.getByRole('article', { name: 'Everything kept' });
  await expect(article.getByRole('region', { name: 'Attachments' })).toContainText('notes.txt');
  await article.getByRole('button', { name: 'Edit draft' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit draft' });
  await expect(edit.getByLabel('Cc')).toHaveValue('0006.1.8');
  await expect(edit.getByRole('radio', { name: /^L4/ })).toBeChecked();
  await expect(edit.getByLabel('Data stripes')).toHaveValue('3');
  await expect(edit.getByLabel('Parity')).toHaveValue('2');
  await expect(edit.getByRole('region', { name: 'Attachments' })).toContainText('notes.txt');
  await edit.getByRole('button', { name: 'Close the composer' }).click();
  await expect(edit).toBeHidden();

  // The app runs the embedded network, so its KME pair is offered.
  await page.getByRole('button', { name: 'Quantum keys' }).click();
  const settings = page.getByRole('dialog', { name: 'Quantum keys (KME)' });
  await settings.getByRole('button', { name: 'Use the local test KME (side A)' }).click();
  await expect(settings.getByText(/^Configured: https:\/\//)).toBeVisible({ timeout: 30_000 });
  await expect(settings.getByText('Using the local test KME (side A).')).toBeVisible();

  expect(consoleErrors).toEqual([]);
});
