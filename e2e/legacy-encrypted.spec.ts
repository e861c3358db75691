// Encrypted mail over email accounts, as two people see it: two fresh app profiles (Ada's
// runs the embedded QMail network, Bob's joins it by its network file), each with an email
// account on the same real Dovecot (IMAP) and Postfix (SMTP). Ada writes to Bob's email
// address, encrypted at L3 for his QMail address; what Postfix delivers shows neither subject
// nor text; Bob's app decrypts it and shows who signed it. A copy altered on the way is shown
// as tampered. Also: the Mail accounts dialog keeps focus inside and gives it back when it
// closes, and offers sign-in with a provider and a custom CA field; and an account added by
// signing in at a provider (oauth2-mock-server) in host mode, whose tokens Dovecot checks
// (its oauth2 passdb) when the app tests the account. axe light and dark.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from '@playwright/test';
import { OAuth2Server } from 'oauth2-mock-server';
import { axeLightDark, createVault, expect, joinNetwork, onboard, onboardTwo, test } from './fixtures.js';
import { startDovecot, startPostfix, type Dovecot, type Postfix } from '../tests/support/mailservers.js';

const ADA = { user: 'ada@a.localhost', password: 'ada-pw' };
const BOB = { user: 'bob@b.localhost', password: 'bob-pw' };

let dovecot: Dovecot;
let postfix: Postfix;
let oauth: OAuth2Server;
let introspectFront: Server;
/** Access tokens the provider issued: Dovecot's introspection finds them active, for Ada. */
const issued = new Set<string>();

test.beforeAll(async () => {
  oauth = new OAuth2Server();
  await oauth.issuer.keys.generate('RS256');
  await oauth.start(0, '127.0.0.1');
  oauth.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    token.payload.jti = randomBytes(12).toString('base64url');
  });
  oauth.service.on('beforeResponse', (res: { body: Record<string, unknown> }) => {
    if (typeof res.body.access_token === 'string') issued.add(res.body.access_token);
  });
  // Dovecot posts the token as a form (RFC 7662) and is answered from what the provider issued.
  introspectFront = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(issued.has(token) ? { active: true, username: ADA.user } : { active: false }));
    });
  });
  await new Promise<void>((r) => introspectFront.listen(0, '127.0.0.1', () => r()));
  const front = `http://127.0.0.1:${(introspectFront.address() as { port: number }).port}/introspect`;
  dovecot = await startDovecot({ users: [ADA, BOB], oauth2IntrospectionUrl: front });
  postfix = await startPostfix(dovecot, ['a.localhost', 'b.localhost']);
});

test.afterAll(async () => {
  await postfix?.stop();
  await dovecot?.stop();
  await oauth?.stop();
  introspectFront?.close();
});

const axe = (page: Page, screen: string) => axeLightDark(page, `legacy-encrypted-${screen}`);

/** Settings → Mail accounts: a password account on the local servers (no TLS: loopback test servers). */
async function addAccount(page: Page, who: { user: string; password: string }, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Email', exact: true }).click();
  const mail = page.getByRole('dialog', { name: /^Email( accounts)?$/ });
  await mail.getByRole('button', { name: 'Accounts…' }).click();
  const settings = page.getByRole('dialog', { name: 'Mail accounts' });
  const form = settings.getByRole('form', { name: 'Add an account' });
  await form.getByLabel('Account name', { exact: true }).fill('Mail');
  await form.getByLabel('Email address', { exact: true }).fill(who.user);
  await form.getByLabel('Your name (shown to recipients)', { exact: true }).fill(name);
  await form.getByLabel('Password or app password', { exact: true }).fill(who.password);
  for (const [group, port] of [
    ['Incoming mail', dovecot.ports.imap],
    ['Outgoing mail (SMTP)', postfix.port],
  ] as const) {
    const g = form.getByRole('group', { name: group });
    await g.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await g.getByLabel('Port', { exact: true }).fill(String(port));
    await g.getByLabel('Security', { exact: true }).selectOption('none');
  }
  await form.getByRole('button', { name: 'Add account' }).click();
  await expect(settings.getByText('Added Mail.')).toBeVisible({ timeout: 30_000 });
  await settings.getByRole('button', { name: 'Close mail accounts' }).click();
  await mail.getByRole('button', { name: /^Close email( accounts)?$/ }).click();
}

test('two profiles: an L3-encrypted email through an account, decrypted by the recipient with who signed it; an altered copy is tampered', async ({
  app: ada,
  host,
  browser,
  consoleErrors,
}) => {
  test.setTimeout(600_000);
  const a11y: string[] = [];
  // Bob's profile joins the network Ada's app brought up, so each finds the other in its directory.
  const second = await joinNetwork(browser, host);
  const bob = second.page;
  try {
    const [adaAddress, bobAddress] = await onboardTwo(ada, bob, ['Ada Lovelace', 'Bob Builder']);

    // The one dialog shell: Tab stays inside, Escape closes, focus goes back to the opener.
    const emailButton = ada.getByRole('button', { name: 'Email', exact: true });
    await emailButton.click();
    const mail = ada.getByRole('dialog', { name: /^Email( accounts)?$/ });
    await expect(mail).toBeVisible();
    for (let i = 0; i < 12; i++) {
      await ada.keyboard.press('Tab');
      expect(await mail.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await ada.keyboard.press('Shift+Tab');
    expect(await mail.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await ada.keyboard.press('Escape');
    await expect(mail).toBeHidden();
    await expect(emailButton).toBeFocused();

    await Promise.all([addAccount(ada, ADA, 'Ada Lovelace'), addAccount(bob, BOB, 'Bob Builder')]);

    // Ada writes through her account, encrypted for Bob's QMail address.
    await emailButton.click();
    await mail.getByRole('button', { name: 'New email' }).click();
    const compose = mail.getByRole('form', { name: /^New email/ });
    await compose.getByLabel('To (email addresses)', { exact: true }).fill(BOB.user);
    await compose.getByLabel('Subject', { exact: true }).fill('Launch codes');
    await compose.getByLabel('Message', { exact: true }).fill('The launch is at dawn.');
    await compose.getByRole('checkbox', { name: /encrypt for them/ }).check();
    await compose.getByLabel('Their QMail address', { exact: true }).fill(bobAddress);
    await compose.getByLabel('Security level', { exact: true }).selectOption('L3');
    await compose.getByRole('button', { name: 'Send…' }).click();
    const gate = mail.getByRole('alertdialog', { name: 'This message leaves QMail' });
    await expect(gate).toContainText(`It is encrypted at L3 for QMail address ${bobAddress}`);
    a11y.push(...(await axe(ada, 'confirm')));
    await gate.getByRole('button', { name: 'Send as email' }).click();
    await expect(mail.getByText('Sent through Mail.')).toBeVisible({ timeout: 60_000 });

    // On the way: identifiers only.
    await expect.poll(() => dovecot.mailOf(BOB.user).length, { timeout: 60_000 }).toBe(1);
    const raw = dovecot.mailOf(BOB.user)[0]!;
    expect(raw).toMatch(/^Subject: Encrypted message \(QMail\)$/m);
    expect(raw).toMatch(/^X-QKD-Security-Level: 3$/im);
    expect(raw).not.toContain('Launch codes');
    expect(raw).not.toContain('dawn');

    // Bob's app has it by itself (IDLE on his account) and opens it decrypted, signed by Ada.
    const inbox = bob.getByRole('listbox', { name: 'Messages in Inbox' });
    const row = inbox.getByRole('option', { name: /Encrypted message \(QMail\)|Launch codes/ });
    await expect(row).toBeVisible({ timeout: 60_000 });
    await row.click();
    const message = bob.getByRole('article', { name: 'Launch codes' });
    await expect(message.getByLabel('Message text', { exact: true })).toContainText('The launch is at dawn.', { timeout: 30_000 });
    const certificate = message.getByLabel('Certificate', { exact: true });
    await expect(certificate).toContainText(`signed by QMail address ${adaAddress}`);
    await expect(certificate).toContainText('fingerprint');
    a11y.push(...(await axe(bob, 'decrypted')));

    // The same message altered on the way (one byte of the encrypted part): tampered, shown as such.
    const lines = raw.split(/\r?\n/);
    const at = lines.findIndex((l, i) => i > 0 && /^[A-Za-z0-9+/=]{1,75}$/.test(l) && lines[i + 1]?.startsWith('--')) - 2; // in the stripes
    lines[at] = (lines[at]![0] === 'A' ? 'B' : 'A') + lines[at]!.slice(1);
    const altered = lines.join('\r\n').replace(/^Message-ID: .*$/im, 'Message-ID: <altered-1@a.localhost>');
    await dovecot.deliver(BOB.user, altered);
    await expect(inbox.getByRole('option')).toHaveCount(2, { timeout: 60_000 });
    // The copy not read yet (the first one's row shows its opened text).
    await inbox.getByRole('option').filter({ hasNotText: 'The launch is at dawn.' }).click();
    await expect(bob.getByRole('alert').filter({ hasText: 'altered on the way or forged' })).toBeVisible({ timeout: 30_000 });
    await expect(bob.getByRole('article').getByText('The launch is at dawn.')).toHaveCount(0);
    // Neither a level it does not have nor its ciphertext parts offered as attachments.
    await expect(bob.getByRole('article').getByText('Not encrypted')).toHaveCount(0);
    await expect(bob.getByRole('article').getByText('qmail-message.bin')).toHaveCount(0);
    a11y.push(...(await axe(bob, 'tampered')));

    // The accounts form: sign in with a provider (generic asks for its endpoints) and a CA the main process reads.
    if (!(await mail.isVisible())) await emailButton.click();
    await mail.getByRole('button', { name: 'Accounts…' }).click();
    const settings = ada.getByRole('dialog', { name: 'Mail accounts' });
    const form = settings.getByRole('form', { name: 'Add an account' });
    await form.getByRole('radio', { name: 'Sign in with your provider (OAuth2)' }).check();
    await expect(form.getByLabel('Password or app password', { exact: true })).toHaveCount(0);
    await expect(form.getByRole('group', { name: 'Provider sign-in (OAuth2)' }).getByLabel('Token URL', { exact: true })).toBeVisible();
    await expect(form.getByRole('button', { name: 'Sign in with your provider (OAuth2)…' })).toBeVisible();
    const ca = form.getByLabel('CA certificate (PEM)', { exact: true });
    await ca.fill('not a certificate');
    await ca.blur();
    await expect(form.getByRole('alert')).toContainText('no PEM certificate');
    await expect(ca).toHaveAttribute('aria-invalid', 'true');
    await ca.fill(dovecot.tls.caPem);
    await ca.blur();
    await expect(form.getByRole('status').filter({ hasText: 'Trusted besides the system’s' })).toBeVisible();
    a11y.push(...(await axe(ada, 'sign-in-form')));

    expect(a11y).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(second.errors).toEqual([]);
  } finally {
    await second.close();
  }
});

test('an account added by signing in at its provider from host mode: the link opens the provider, the window sees only how it went, Dovecot and Postfix accept the tokens', async ({
  app: page,
  consoleErrors,
}) => {
  test.setTimeout(400_000);
  const a11y: string[] = [];
  await createVault(page, 'maple orbit lantern 42');
  await onboard(page, 'Ada Lovelace');
  const tokenRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/token')) tokenRequests.push(r.url());
  });
  await page.getByRole('button', { name: 'Email', exact: true }).click();
  const mail = page.getByRole('dialog', { name: /^Email( accounts)?$/ });
  await mail.getByRole('button', { name: 'Accounts…' }).click();
  const settings = page.getByRole('dialog', { name: 'Mail accounts' });
  const form = settings.getByRole('form', { name: 'Add an account' });
  // Gmail has no client id in this build: it says so and offers the password only.
  await form.getByLabel('Provider', { exact: true }).selectOption('gmail');
  await expect(form.getByText(/Sign-in with Google is not set up in this build/)).toBeVisible();
  await expect(form.getByRole('radio', { name: 'Sign in with Google' })).toBeDisabled();
  await form.getByLabel('Provider', { exact: true }).selectOption('generic');
  await form.getByLabel('Account name', { exact: true }).fill('Lab');
  await form.getByLabel('Email address', { exact: true }).fill(ADA.user);
  await form.getByRole('radio', { name: 'Sign in with your provider (OAuth2)' }).check();
  const provider = form.getByRole('group', { name: 'Provider sign-in (OAuth2)' });
  await provider.getByLabel('Authorization URL', { exact: true }).fill(`${oauth.issuer.url}/authorize`);
  await provider.getByLabel('Token URL', { exact: true }).fill(`${oauth.issuer.url}/token`);
  await provider.getByLabel('Client ID', { exact: true }).fill('qmail-desktop');
  await provider.getByLabel('Scope', { exact: true }).fill('mail');
  for (const [group, port, tls] of [
    ['Incoming mail', dovecot.ports.imaps, 'implicit'],
    ['Outgoing mail (SMTP)', postfix.port, 'starttls'],
  ] as const) {
    const g = form.getByRole('group', { name: group });
    await g.getByLabel('Server', { exact: true }).fill('127.0.0.1');
    await g.getByLabel('Port', { exact: true }).fill(String(port));
    await g.getByLabel('Security', { exact: true }).selectOption(tls);
  }
  // The servers' certificates come from the test's own CA: trusted through the CA field.
  await form.getByLabel('CA certificate (PEM)', { exact: true }).fill(dovecot.tls.caPem);
  await form.getByRole('button', { name: 'Sign in with your provider (OAuth2)…' }).click();
  const waiting = form.getByRole('status').filter({ hasText: 'sign-in page in a new tab' });
  await expect(waiting).toBeVisible({ timeout: 30_000 });
  const link = waiting.getByRole('link', { name: 'Open the sign-in page' });
  const href = (await link.getAttribute('href'))!;
  expect(new URL(href).searchParams.get('code_challenge_method')).toBe('S256');
  expect(new URL(new URL(href).searchParams.get('redirect_uri')!).hostname).toBe('127.0.0.1');
  a11y.push(...(await axe(page, 'sign-in-waiting')));
  // The user opens it: a new tab at the provider, which sends the browser back to the app's loopback listener.
  const [tab] = await Promise.all([page.waitForEvent('popup'), link.click()]);
  await expect(tab.getByText('Signed in. You can close this tab and return to QMail.')).toBeVisible({ timeout: 30_000 });
  await tab.close();
  await expect(settings.getByText('Signed in and added Lab.')).toBeVisible({ timeout: 60_000 });
  // Tested with the saved sign-in: XOAUTH2 accepted by Dovecot (IMAP) and Postfix (SMTP).
  await expect(form.getByRole('status').filter({ hasText: 'accepted the sign-in' })).toContainText('✓', { timeout: 60_000 });
  await expect(settings.getByRole('list').getByText('Lab')).toBeVisible();
  // The page never asked the provider for a token: the main process did.
  expect(tokenRequests).toEqual([]);
  expect(issued.size).toBeGreaterThan(0);
  a11y.push(...(await axe(page, 'signed-in')));
  expect(a11y).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
