// Email accounts in the app, against real Dovecot (IMAP) and Postfix (SMTP) on loopback:
// add an account through Settings (a wrong password named as such by Test connection), find
// its mail in the main window's Inbox beside the qmail (each row marked with its origin),
// search it (a word only in the text of an email never opened found by the account's
// server, its row saying so), read an HTML email there whose remote image stays blocked until its sender is
// allowed (then the main process fetches it: the page never does), answer it, write a new
// email through the account after the gateway confirmation, and see the answer to that email
// in the same conversation as what was sent, download an email's attachment and forward that
// email with a file of one's own attached through the window (both arrive byte for byte);
// axe on each new screen, light and dark.
import AxeBuilder from '@axe-core/playwright';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Page } from '@playwright/test';
import { simpleParser } from 'mailparser';
import { createVault, expect, onboard, shot, test } from './fixtures.js';
import { startDovecot, startPostfix, testMessage, type Dovecot, type Postfix } from '../tests/support/mailservers.js';

const PASSPHRASE = 'maple orbit lantern 42';
const ADA = { user: 'ada@a.localhost', password: 'ada-pw' };
const BOB = { user: 'bob@b.localhost', password: 'bob-pw' };
// 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let dovecot: Dovecot;
let postfix: Postfix;
let images: Server;
let imageHits = 0;
let imagePort = 0;

test.beforeAll(async () => {
  dovecot = await startDovecot({ users: [ADA, BOB] });
  postfix = await startPostfix(dovecot, ['a.localhost', 'b.localhost']);
  images = createServer((req, res) => {
    imageHits++;
    res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
  imagePort = (images.address() as { port: number }).port;
});

test.afterAll(async () => {
  images?.close();
  await postfix?.stop();
  await dovecot?.stop();
});

async function axe(page: Page, screen: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        found.push(`${screen} (${scheme}) ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    await shot(page, `legacy-${screen}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

test('an email account: add it, read HTML mail with images blocked then allowed, reply, and write through the gateway', async ({
  app: page,
  consoleErrors,
}) => {
  test.setTimeout(420_000);
  const html = [
    'From: Bob Builder <bob@b.localhost>',
    'To: Ada <ada@a.localhost>',
    'Subject: Site plans',
    `Date: ${new Date().toUTCString()}`,
    'Message-ID: <plans-1@b.localhost>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><h2>Plans</h2><p>The <b>new wing</b> starts Monday.</p><img src="http://127.0.0.1:${imagePort}/logo.png" alt="Company logo" width="120" height="40"><script>document.title='x'</script></body></html>`,
    '',
  ].join('\r\n');
  await dovecot.deliver(ADA.user, html);

  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace');
  const a11y: string[] = [];

  await page.getByRole('button', { name: 'Email', exact: true }).click();
  const mail = page.getByRole('dialog', { name: 'Email', exact: true });
  await expect(mail.getByText(/Add a Gmail, Outlook, Yahoo/)).toBeVisible();
  await mail.getByRole('button', { name: 'Accounts…' }).click();
  const settings = page.getByRole('dialog', { name: 'Mail accounts' });
  const form = settings.getByRole('form', { name: 'Add an account' });
  // A preset fills the servers in.
  await form.getByLabel('Provider', { exact: true }).selectOption('gmail');
  await expect(form.getByRole('group', { name: 'Incoming mail' }).getByLabel('Server', { exact: true })).toHaveValue('imap.gmail.com');
  await form.getByLabel('Provider', { exact: true }).selectOption('generic');
  await form.getByLabel('Account name', { exact: true }).fill('Lab');
  await form.getByLabel('Email address', { exact: true }).fill(ADA.user);
  await form.getByLabel('Your name (shown to recipients)', { exact: true }).fill('Ada Lovelace');
  await form.getByLabel('Password or app password', { exact: true }).fill('wrong-password');
  for (const [group, port] of [
    ['Incoming mail', dovecot.ports.imap],
    ['Outgoing mail (SMTP)', postfix.port],
  ] as const) {
    const g = form.getByRole('group', { name: group });
    await g.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await g.getByLabel('Port', { exact: true }).fill(String(port));
    await g.getByLabel('Security', { exact: true }).selectOption('none');
  }
  await form.getByRole('button', { name: 'Test connection' }).click();
  await expect(form.getByRole('status')).toContainText('refused the login', { timeout: 30_000 });
  await shot(page, 'legacy-test-failed');
  await form.getByLabel('Password or app password', { exact: true }).fill(ADA.password);
  await form.getByRole('button', { name: 'Test connection' }).click();
  await expect(form.getByRole('status')).toContainText('✓', { timeout: 30_000 });
  a11y.push(...(await axe(page, 'accounts')));
  await form.getByRole('button', { name: 'Add account' }).click();
  await expect(settings.getByText('Added Lab.')).toBeVisible({ timeout: 30_000 });
  await expect(settings.getByRole('list').getByText('Lab')).toBeVisible();
  // Nothing secret comes back to the page.
  expect(await settings.getByLabel('Password or app password', { exact: true }).inputValue()).toBe('');
  await settings.getByRole('button', { name: 'Close mail accounts' }).click();

  await mail.getByRole('button', { name: 'Close email' }).click();

  // The account's mail is in the Inbox beside the qmail, newest first, each row marked.
  const inbox = page.getByRole('listbox', { name: 'Messages in Inbox' });
  const row = inbox.getByRole('option', { name: /Site plans/ });
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(row).toContainText('Email through Lab');
  // New mail shows by itself (IDLE on the account), no "Check email".
  const t0 = Date.now();
  await dovecot.deliver(
    ADA.user,
    testMessage({ from: 'Bob Builder <bob@b.localhost>', to: ADA.user, subject: 'Arrives by itself', body: 'The quokka survey is done.' }),
  );
  await expect(inbox.getByRole('option', { name: /Arrives by itself/ })).toBeVisible({ timeout: 10_000 });
  console.log(`legacy e2e: IDLE new mail in the Inbox after ${Date.now() - t0} ms`);
  a11y.push(...(await axe(page, 'inbox')));
  // Search covers it: sender's name, highlighted.
  const search = page.getByRole('searchbox', { name: 'Search messages in this folder' });
  await search.fill('builder');
  await expect(inbox.getByRole('option')).toHaveCount(2);
  await expect(inbox.getByRole('option', { name: /Site plans/ }).locator('mark')).toHaveText('Builder');
  await shot(page, 'legacy-search');
  // A word only in the text of an email never opened (its body was never fetched): the
  // account's server finds it, and the row says so.
  await search.fill('quokka');
  const onServer = inbox.getByRole('option', { name: /Arrives by itself/ });
  await expect(onServer).toContainText('Found on the server', { timeout: 20_000 });
  await expect(inbox.getByRole('option')).toHaveCount(1);
  await expect(page.getByRole('status').filter({ hasText: 'found on the server' })).toHaveText('1 match (1 found on the server)');
  await search.fill('');
  // One account's mail only, then all again.
  const show = page.getByLabel('Show mail from');
  await show.selectOption({ label: 'Lab' });
  await expect(inbox.getByRole('option')).toHaveCount(2);
  await show.selectOption({ label: 'All mail' });
  await row.click();
  const message = page.getByRole('article', { name: 'Site plans' });
  await expect(message.getByLabel('Message text', { exact: true })).toContainText('The new wing starts Monday.');
  await expect(message.getByText('Email through Lab')).toBeVisible();
  await expect(message.getByRole('note')).toContainText('A remote image was not loaded');
  // A placeholder with the alt text stands in; no <img> loads anything.
  await expect(message.getByRole('img', { name: 'Company logo' })).toHaveText('[Company logo]');
  await expect(message.locator('img')).toHaveCount(0);
  expect(imageHits).toBe(0);
  a11y.push(...(await axe(page, 'blocked')));
  await message.getByRole('button', { name: 'Show images from bob@b.localhost' }).click();
  const logo = message.locator('img[alt="Company logo"]');
  await expect(logo).toBeVisible({ timeout: 15_000 });
  expect(await logo.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  expect(imageHits).toBe(1);
  await expect(message.getByRole('note')).toHaveCount(0);
  await shot(page, 'legacy-images-allowed');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'legacy-images-allowed-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Reply: the gateway confirmation first, then it goes through Postfix to Bob, threaded.
  await message.getByRole('button', { name: 'Reply' }).click();
  const reply = mail.getByRole('form', { name: 'Reply by email' });
  await expect(reply.getByLabel('To (email addresses)', { exact: true })).toHaveValue('bob@b.localhost');
  await expect(reply.getByLabel('Subject', { exact: true })).toHaveValue('Re: Site plans');
  await reply.getByLabel('Message', { exact: true }).fill('Monday works. Ada');
  await reply.getByRole('button', { name: 'Send…' }).click();
  const confirm = mail.getByRole('alertdialog', { name: 'This message leaves QMail' });
  await expect(confirm).toContainText('through Lab (ada@a.localhost) to bob@b.localhost');
  await expect(confirm).toContainText('It is not encrypted');
  a11y.push(...(await axe(page, 'gateway-confirm')));
  await confirm.getByRole('button', { name: 'Send as email' }).click();
  await expect(mail.getByText('Sent through Lab.')).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => dovecot.mailOf(BOB.user).find((m) => m.includes('Subject: Re: Site plans')), { timeout: 30_000 }).toBeTruthy();
  const delivered = dovecot.mailOf(BOB.user).find((m) => m.includes('Subject: Re: Site plans'))!;
  expect(delivered).toMatch(/^In-Reply-To: <plans-1@b\.localhost>/m);
  expect(delivered).toMatch(/^References: <plans-1@b\.localhost>/m);
  expect(delivered).toMatch(/^From: "?Ada Lovelace"? <ada@a\.localhost>/m);

  // A qmail to a plain address: the composer says it is an email address and offers the
  // gateway; the Email window takes the message over and sends only after the confirmation
  // (Back sends nothing).
  await mail.getByRole('button', { name: 'Close email' }).click();
  await page.keyboard.press('c');
  const composer = page.getByRole('dialog', { name: 'New message' });
  await composer.getByLabel('To', { exact: true }).fill('bob@b.localhost');
  await composer.getByLabel('Subject', { exact: true }).fill('Gateway hello');
  await composer.getByLabel('Message', { exact: true }).fill('Written in QMail, read in plain email.');
  await composer.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(composer).toContainText('is an email address');
  await shot(page, 'legacy-composer-offer');
  await composer.getByRole('button', { name: 'Send it as email through one of your accounts…' }).click();
  const handed = mail.getByRole('form', { name: 'New email' });
  await expect(handed.getByLabel('To (email addresses)', { exact: true })).toHaveValue('bob@b.localhost');
  await expect(handed.getByLabel('Subject', { exact: true })).toHaveValue('Gateway hello');
  await expect(handed.getByLabel('Message', { exact: true })).toHaveValue('Written in QMail, read in plain email.');
  await handed.getByRole('button', { name: 'Send…' }).click();
  const gate = mail.getByRole('alertdialog', { name: 'This message leaves QMail' });
  await expect(gate.getByRole('button', { name: 'Back' })).toBeFocused();
  await gate.getByRole('button', { name: 'Back' }).click();
  await page.waitForTimeout(1000);
  expect(dovecot.mailOf(BOB.user).some((m) => m.includes('Subject: Gateway hello'))).toBe(false);
  await mail.getByRole('button', { name: 'New email' }).click();
  const compose = mail.getByRole('form', { name: 'New email' });
  await compose.getByLabel('To (email addresses)', { exact: true }).fill('bob@b.localhost');
  await compose.getByLabel('Subject', { exact: true }).fill('Gateway hello');
  await compose.getByLabel('Message', { exact: true }).fill('Written in QMail, read in plain email.');
  await compose.getByRole('button', { name: 'Send…' }).click();
  await gate.getByRole('button', { name: 'Send as email' }).click();
  await expect
    .poll(() => dovecot.mailOf(BOB.user).some((m) => m.includes('Subject: Gateway hello') && m.includes('Written in QMail')), {
      timeout: 30_000,
    })
    .toBe(true);
  await shot(page, 'legacy-gateway-sent');
  await mail.getByRole('button', { name: 'Close email' }).click();
  // The qmail it was written as stays in the composer (saved as a draft by now) until it is let go.
  await page
    .getByRole('dialog', { name: /^(New message|Edit draft)$/ })
    .getByRole('button', { name: /^(Discard|Close without saving)$/ })
    .click();

  // Bob answers that email; his answer is in the same conversation as what Ada sent.
  const sentCopy = dovecot.mailOf(BOB.user).find((m) => m.includes('Subject: Gateway hello'))!;
  const sentId = /^Message-ID:\s*(<[^>]+>)/im.exec(sentCopy)![1]!;
  await dovecot.deliver(
    ADA.user,
    [
      'From: Bob Builder <bob@b.localhost>',
      'To: Ada <ada@a.localhost>',
      'Subject: Re: Gateway hello',
      `Date: ${new Date(Date.now() + 1000).toUTCString()}`,
      'Message-ID: <answer-1@b.localhost>',
      `In-Reply-To: ${sentId}`,
      `References: ${sentId}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Read it in plain email. Bob',
      '',
    ].join('\r\n'),
  );
  const answer = inbox.getByRole('option', { name: /Re: Gateway hello/ });
  await expect(answer).toBeVisible({ timeout: 15_000 });
  await answer.click();
  const conversation = page.getByRole('navigation', { name: 'Conversation' });
  await expect(conversation).toContainText('Conversation · 2 messages', { timeout: 15_000 });
  await expect(conversation.getByRole('button', { name: /Sent \(answered here\)/ })).toBeVisible();
  a11y.push(...(await axe(page, 'conversation')));
  await conversation.getByRole('button', { name: /Sent \(answered here\)/ }).click();
  await expect(page.getByRole('article', { name: 'Gateway hello' })).toContainText('Written in QMail, read in plain email.');

  // An email with an attachment: listed in the reader and downloaded byte for byte.
  const minutes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff));
  await dovecot.deliver(
    ADA.user,
    [
      'From: Bob Builder <bob@b.localhost>',
      'To: Ada <ada@a.localhost>',
      'Subject: Minutes attached',
      `Date: ${new Date(Date.now() + 2000).toUTCString()}`,
      'Message-ID: <minutes-1@b.localhost>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The minutes are attached. Bob',
      '--b1',
      'Content-Type: application/octet-stream; name="minutes.bin"',
      'Content-Disposition: attachment; filename="minutes.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      ...(minutes.toString('base64').match(/.{1,76}/g) ?? []),
      '--b1--',
      '',
    ].join('\r\n'),
  );
  await inbox.getByRole('option', { name: /Minutes attached/ }).click({ timeout: 15_000 });
  const withFile = page.getByRole('article', { name: 'Minutes attached' });
  await expect(withFile.getByRole('region', { name: 'Attachments' })).toContainText('minutes.bin');
  const download = page.waitForEvent('download');
  await withFile.getByRole('button', { name: 'Download minutes.bin' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('minutes.bin');
  expect(readFileSync((await file.path())!).equals(minutes)).toBe(true);
  await shot(page, 'legacy-attachment-downloaded');

  // Forward it with a file of Ada's: the original's attachment is a chip already (removable),
  // hers is attached through "Attach files…" and streams in; Bob gets both, byte for byte.
  await withFile.getByRole('button', { name: 'Forward' }).click();
  const fwd = mail.getByRole('form', { name: 'Forward by email' });
  const bar = fwd.getByRole('region', { name: 'Attachments' });
  await expect(bar.getByRole('button', { name: 'Remove minutes.bin' })).toBeVisible();
  await fwd.getByLabel('To (email addresses)', { exact: true }).fill('bob@b.localhost');
  const report = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 104729 + (i >> 9)) & 0xff));
  const chooser = page.waitForEvent('filechooser');
  await bar.getByRole('button', { name: 'Attach files…' }).click();
  await (await chooser).setFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: report });
  await expect(bar.getByRole('button', { name: 'Remove report.bin' })).toBeVisible();
  await expect(bar.getByRole('progressbar')).toHaveCount(0, { timeout: 30_000 });
  await expect(bar).toContainText('1.7 MB in total');
  a11y.push(...(await axe(page, 'compose-attachment')));
  await fwd.getByRole('button', { name: 'Send…' }).click();
  const leaving = mail.getByRole('alertdialog', { name: 'This message leaves QMail' });
  await expect(leaving).toContainText('With 2 attachments (1.7 MB).');
  await leaving.getByRole('button', { name: 'Send as email' }).click();
  await expect(mail.getByText('Sent through Lab.')).toBeVisible({ timeout: 60_000 });
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const isForward = (m: string) => m.includes('Subject: Fwd: Minutes attached');
  await expect.poll(() => dovecot.mailOf(BOB.user).some(isForward), { timeout: 30_000 }).toBe(true);
  const forwarded = dovecot.mailOf(BOB.user).find(isForward)!;
  const parsed = await simpleParser(Buffer.from(forwarded, 'latin1'));
  const got = Object.fromEntries(parsed.attachments.map((a) => [a.filename, sha(a.content)]));
  expect(got).toEqual({ 'minutes.bin': sha(minutes), 'report.bin': sha(report) });

  expect(a11y).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
