// Rich mail through the UI: the composer's toolbar and shortcuts write bold, italic, a link,
// a bulleted list, a quote and an inline image; the message goes to our own address over the
// embedded network, and the reader draws that formatting and the picture from the received
// CBDF document, and its 50 MB attachment (streamed in slices both ways) saves with the same
// SHA-256; a reply and a forward quote it as a block. axe audits the composer and the
// reader with formatting, light and dark.
import AxeBuilder from '@axe-core/playwright';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { createVault, expect, onboard, shot, test } from './fixtures.js';

const PASSPHRASE = 'rich text 4 stripes';

/** Serious and critical axe findings in both colour schemes (a screenshot of each). */
async function audit(page: Page, screen: string): Promise<string[]> {
  const out: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations) {
      if (v.impact !== 'serious' && v.impact !== 'critical') continue;
      out.push(`${screen} (${scheme}) ${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    await shot(page, `rich-mail-${screen}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}

/** A small picture drawn by the page itself: two coloured halves, as PNG bytes. */
async function picture(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 48;
    c.height = 24;
    const g = c.getContext('2d')!;
    g.fillStyle = '#d8342c';
    g.fillRect(0, 0, 24, 24);
    g.fillStyle = '#2f62d8';
    g.fillRect(24, 0, 24, 24);
    return c.toDataURL('image/png').split(',')[1]!;
  });
  return Buffer.from(b64, 'base64');
}

test('a formatted message with an inline image arrives with its formatting, and quotes as a block in the reply', async ({
  app: page,
  consoleErrors,
}) => {
  test.setTimeout(300_000);
  const findings: string[] = [];
  await expect(page.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace');

  // Our own address, from "Your identity".
  await page.getByRole('button', { name: /^Ada Lovelace/ }).click();
  const identity = page.getByRole('dialog', { name: 'Your identity' });
  const me = /0006\.\d+\.\d+/.exec(await identity.innerText())![0];
  await identity.getByRole('button', { name: 'Close your identity' }).click();

  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await dialog.getByRole('combobox', { name: 'To' }).fill(me);
  await dialog.getByLabel('Subject').fill('Formatted notes');
  const editor = dialog.getByRole('textbox', { name: 'Message' });
  await editor.click();

  // Bold and italic by shortcut, a link on selected words by Ctrl+K.
  await page.keyboard.type('Hello ');
  await page.keyboard.press('Control+b');
  await expect(dialog.getByRole('button', { name: 'Bold' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.type('bold words');
  await page.keyboard.press('Control+b');
  await page.keyboard.type(' and ');
  await page.keyboard.press('Control+i');
  await page.keyboard.type('slanted ones');
  await page.keyboard.press('Control+i');
  await page.keyboard.type(', see the plan');
  for (let i = 0; i < 'the plan'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('Control+k');
  await dialog.getByLabel('Link address').fill('https://example.org/plan');
  await page.keyboard.press('Enter');
  await expect(editor.locator('a[href="https://example.org/plan"]')).toHaveText('the plan');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');

  // A bulleted list and a quote from the toolbar's buttons.
  await dialog.getByRole('button', { name: 'Bulleted list' }).click();
  await page.keyboard.type('first point');
  await page.keyboard.press('Enter');
  await page.keyboard.type('second point');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await dialog.getByRole('button', { name: 'Quote' }).click();
  await page.keyboard.type('a wise remark');
  await expect(dialog.getByRole('button', { name: 'Quote' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Enter');
  await dialog.getByRole('button', { name: 'Quote' }).click();

  // An inline image from the Insert image button's file picker.
  const png = await picture(page);
  const chooser = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: 'Insert image' }).click();
  await (await chooser).setFiles({ name: 'halves.png', mimeType: 'image/png', buffer: png });
  await expect(editor.locator('img[alt="halves.png"]')).toBeVisible();

  // Pasted HTML goes through CBDF first: no handler, no script, no remote picture survives.
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.setData(
      'text/html',
      '<p onclick="alert(1)">Pasted <b>strong</b> text</p><script>alert(2)</script><img src="https://tracker.example/p.gif" alt="pixel" width="40" height="40">',
    );
    document
      .querySelector('.rich-text')!
      .dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(editor).toContainText('Pasted strong text');
  expect(await editor.innerHTML()).not.toMatch(/onclick|<script|tracker\.example/);

  // A 50 MB attachment streams to the main process in slices, a progress bar while it goes.
  const big = join(test.info().outputDir, 'survey.bin');
  const bigBytes = randomBytes(50 * 1024 * 1024);
  mkdirSync(test.info().outputDir, { recursive: true });
  writeFileSync(big, bigBytes);
  const bigHash = createHash('sha256').update(bigBytes).digest('hex');
  await dialog.getByLabel('Attach files').setInputFiles(big);
  const chip = dialog.locator('.chip', { hasText: 'survey.bin' });
  await expect(chip).toBeVisible();
  await shot(page, 'rich-mail-attaching');
  await expect(chip.getByRole('progressbar')).toBeHidden({ timeout: 120_000 });
  await expect(chip).toContainText('50');

  findings.push(...(await audit(page, 'composer')));
  await dialog.getByRole('button', { name: 'Send' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // It arrives in the Inbox on its own.
  await page
    .getByRole('navigation', { name: 'Folders' })
    .getByRole('button', { name: /^Inbox/ })
    .click();
  const row = page.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: 'Formatted notes' });
  await expect(row).toHaveCount(1, { timeout: 180_000 });
  await expect(row).toContainText('Hello bold words and slanted ones');
  await row.click();
  const article = page.getByRole('article', { name: 'Formatted notes' });
  const body = article.getByLabel('Message text');
  await expect(body.locator('span', { hasText: 'bold words' }).first()).toHaveCSS('font-weight', '700');
  await expect(body.locator('span', { hasText: 'slanted ones' }).first()).toHaveCSS('font-style', 'italic');
  const link = body.getByRole('link', { name: /the plan/ });
  await expect(link).toContainText('https://example.org/plan');
  await expect(body.locator('ul > li')).toHaveText(['first point', 'second point']);
  await expect(body.locator('blockquote')).toContainText('a wise remark');
  const img = body.getByRole('img', { name: 'halves.png' });
  await expect(img).toBeVisible();
  expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  expect(await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight])).toEqual([48, 24]);
  await expect(body).toContainText('Pasted strong text');
  expect(await body.innerHTML()).not.toMatch(/tracker\.example|onclick|<script/);
  findings.push(...(await audit(page, 'reader')));

  // The 50 MB attachment, saved part by part through the main process: the same bytes.
  const download = page.waitForEvent('download', { timeout: 180_000 });
  await article.getByRole('button', { name: 'Download survey.bin' }).click();
  const saved = await (await download).path();
  expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(bigHash);

  // A reply quotes it as a block, formatting kept, under the header naming the sender.
  await article.getByRole('button', { name: 'Reply' }).click();
  const reply = page.getByRole('dialog', { name: 'Re: Formatted notes' });
  const text = reply.getByRole('textbox', { name: 'Message' });
  await expect(text).toBeFocused();
  await expect(text).toContainText(/Ada Lovelace wrote on .+:/);
  await expect(text.locator('blockquote b').first()).toHaveText('bold words');
  await expect(text.locator('blockquote img[alt="halves.png"]')).toBeVisible();
  await page.keyboard.type('Thanks!');
  await expect.poll(() => text.innerText()).toMatch(/^Thanks!\n\nAda Lovelace wrote on .+:/);
  await shot(page, 'rich-mail-reply');
  await reply.getByRole('button', { name: /^(Discard|Close without saving)$/ }).click();

  // A forward quotes it the same way, under a header naming who sent it.
  await article.getByRole('button', { name: 'Forward' }).click();
  const forward = page.getByRole('dialog', { name: 'Fwd: Formatted notes' });
  await expect(forward.getByRole('combobox', { name: 'To' })).toBeFocused();
  const fwdText = forward.getByRole('textbox', { name: 'Message' });
  await expect(fwdText).toContainText('Forwarded message');
  await expect(fwdText).toContainText(/From: Ada Lovelace <0006\.\d+\.\d+>/);
  await expect(fwdText.locator('blockquote li')).toHaveText(['first point', 'second point']);
  await forward.getByRole('button', { name: /^(Discard|Close without saving)$/ }).click();

  expect(findings, findings.join('\n')).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
