// Accessibility and layout: axe-core on every main screen, in the light and the dark colour
// scheme, with no serious or critical violation and a main landmark and an h1 on each; and the mail window at 720×600 with no
// sideways scrolling and every toolbar control on screen.
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { confirmPhrase, createVault, expect, shot, test } from './fixtures.js';
import { awaitAnswer } from './mail-steps.js';

const PASSPHRASE = 'maple orbit lantern 42';

/** Every screen has one main landmark and an h1. */
const STRUCTURE = ['landmark-one-main', 'page-has-heading-one', 'landmark-no-duplicate-main', 'heading-order'];

interface Finding {
  screen: string;
  scheme: 'light' | 'dark';
  rule: string;
  impact: string;
  nodes: string[];
}

/** Runs axe in both colour schemes and records serious and critical violations (and a screenshot of each). */
async function audit(page: Page, screen: string, findings: Finding[]): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Let transitions and the scheme's colours settle before measuring contrast.
    await page.waitForTimeout(150);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations) {
      // Serious and critical ones, and the page's landmarks and headings whatever axe rates them.
      if (v.impact !== 'serious' && v.impact !== 'critical' && !STRUCTURE.includes(v.id)) continue;
      findings.push({
        screen,
        scheme,
        rule: v.id,
        impact: v.impact ?? 'unrated',
        nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`),
      });
    }
    await shot(page, `a11y-${screen}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

function report(findings: Finding[]): string {
  return findings
    .map(
      (f) =>
        `${f.screen} (${f.scheme}) ${f.impact} ${f.rule}:\n  ${f.nodes.slice(0, 6).join('\n  ')}${f.nodes.length > 6 ? `\n  … ${f.nodes.length - 6} more` : ''}`,
    )
    .join('\n');
}

/** Sends to an address nobody has: the message fails for good and waits in the outbox (Retry, Edit, Cancel). */
async function sendToNobody(page: Page, subject: string): Promise<Locator> {
  await page.keyboard.press('c');
  const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await composer.getByRole('combobox', { name: 'To' }).fill('0006.0.999999');
  await composer.getByLabel('Subject').fill(subject);
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer).toBeHidden({ timeout: 30_000 });
  const outbox = page.getByRole('region', { name: 'Outbox' });
  await expect(outbox.getByRole('button', { name: 'Retry' })).toBeVisible({ timeout: 60_000 });
  return outbox;
}

/** The page never scrolls sideways and the lock button is fully on screen. */
async function fitsWidth(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(clientWidth);
  const lock = page.getByRole('button', { name: 'Lock QMail' });
  await expect(lock).toBeInViewport({ ratio: 1 });
  const box = await lock.boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(clientWidth);
}

test('every main screen has no serious or critical axe violation, light and dark', async ({ app: page, consoleErrors }) => {
  test.setTimeout(300_000);
  const findings: Finding[] = [];

  // The vault: first run, then (after a reload) unlock.
  await expect(page.getByRole('button', { name: 'Create vault' })).toBeVisible({ timeout: 60_000 });
  await audit(page, 'vault-create', findings);
  await createVault(page, PASSPHRASE);

  // Onboarding: identity and servers, the phrase, its confirmation.
  await expect(page.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('checkbox', { name: /^Store mail on / }).first()).toBeVisible({ timeout: 60_000 });
  await audit(page, 'onboarding-identity', findings);
  await page.getByRole('button', { name: 'I have a recovery phrase' }).click();
  await audit(page, 'onboarding-restore', findings);
  await page.getByRole('button', { name: 'I am new to QMail' }).click();
  await page.getByLabel('Your name').fill('Dorothy Vaughan');
  await page.getByRole('button', { name: 'Create my address' }).click();
  const words = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(words).toHaveCount(24, { timeout: 90_000 });
  await audit(page, 'onboarding-phrase', findings);
  const phrase = (await words.allInnerTexts()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm your recovery phrase' })).toBeVisible();
  await audit(page, 'onboarding-confirm', findings);
  await page.getByRole('button', { name: 'I did not write it down: show the phrase again' }).click();
  await audit(page, 'onboarding-confirm-reveal', findings);
  await confirmPhrase(page, phrase);

  // The empty Inbox, with the correspondent introduced.
  const hello = page.getByRole('button', { name: 'Say hello to QMail Correspondent' });
  await expect(hello).toBeVisible({ timeout: 90_000 });
  await audit(page, 'inbox-empty', findings);

  // The composer, addressed to the correspondent, with an inline recipient error shown too.
  await hello.click();
  // The title turns to "Edit draft" once the composer saved a draft on its own.
  const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await composer.getByLabel('Subject').fill('Contrast check');
  await composer.getByLabel('Message').fill('Hello from the accessibility audit.');
  await composer.getByRole('button', { name: 'Cc' }).click();
  await composer.getByRole('combobox', { name: 'Cc' }).fill('Nobody At All');
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer.getByRole('alert')).toBeVisible();
  await audit(page, 'composer', findings);
  await composer.getByRole('combobox', { name: 'Cc' }).fill('');
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer).toBeHidden({ timeout: 30_000 });

  // The outbox: a message to an address nobody has fails and waits there with Retry and Cancel.
  await sendToNobody(page, 'Nobody home');
  await audit(page, 'outbox', findings);

  // The Inbox with mail, and the reader on the answer.
  const folders = page.getByRole('navigation', { name: 'Folders' });
  const answer = await awaitAnswer(page, 'Contrast check');
  await audit(page, 'inbox-mail', findings);
  await answer.click();
  const article = page.getByRole('article', { name: 'Re: Contrast check' });
  await expect(article).toContainText('arrived intact');
  await audit(page, 'reader', findings);
  await article.getByRole('button', { name: 'Certificate' }).click();
  const cert = page.getByRole('dialog', { name: 'Security certificate' });
  await expect(cert).toContainText('verified');
  await audit(page, 'certificate', findings);
  await cert.getByRole('button', { name: 'Close the certificate' }).click();
  await folders.getByRole('button', { name: /^Sent/ }).click();
  const sentRow = page.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: 'Contrast check' });
  await sentRow.click();
  await expect(page.getByRole('article', { name: 'Contrast check' })).toBeVisible();
  await audit(page, 'reader-sent', findings);

  // Settings: quantum keys, and the identity with its phrase shown again.
  await page.getByRole('button', { name: 'Quantum keys' }).click();
  const kme = page.getByRole('dialog', { name: 'Quantum keys (KME)' });
  await expect(kme.getByRole('status').first()).not.toHaveText('Reading the settings…');
  await audit(page, 'kme-settings', findings);
  await kme.getByRole('button', { name: 'Close the settings' }).click();
  // The server picker: the servers in use, the beacon, the k + p explanation and the price.
  await page.getByRole('button', { name: 'Servers', exact: true }).click();
  const picker = page.getByRole('dialog', { name: 'Servers' });
  await expect(picker.getByRole('rowheader', { name: /your beacon/ })).toBeVisible({ timeout: 30_000 });
  await expect(picker.getByRole('heading', { name: 'What k + p needs' })).toBeVisible();
  await audit(page, 'server-picker', findings);
  await picker.getByRole('button', { name: 'Close the server picker' }).click();
  // Tip settings: the inbox fee, class rejection in words, contacts free, the white and black lists.
  await page.getByRole('button', { name: 'Tips', exact: true }).click();
  const tipSettings = page.getByRole('dialog', { name: 'Tip settings' });
  await expect(tipSettings.getByRole('button', { name: 'Save fee' })).toBeVisible({ timeout: 30_000 });
  await audit(page, 'tip-settings', findings);
  await tipSettings.getByRole('button', { name: 'Close the tip settings' }).click();
  await page.getByRole('button', { name: /^Dorothy Vaughan/ }).click();
  const identity = page.getByRole('dialog', { name: 'Your identity' });
  await identity.getByLabel('Passphrase').fill(PASSPHRASE);
  await identity.getByRole('button', { name: 'Show the recovery phrase' }).click();
  await expect(identity.getByRole('list', { name: 'Recovery phrase' })).toBeVisible();
  await audit(page, 'identity', findings);
  await identity.getByRole('button', { name: 'Close your identity' }).click();

  // Locked again: the unlock screen.
  await page.getByRole('button', { name: 'Lock QMail' }).click();
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeVisible({ timeout: 30_000 });
  await audit(page, 'vault-unlock', findings);

  expect(findings, report(findings)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test('at 720×600 the mail window does not scroll sideways and every toolbar control is on screen', async ({ app: page, consoleErrors }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 720, height: 600 });
  await createVault(page, PASSPHRASE);
  await expect(page.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('checkbox', { name: /^Store mail on / }).first()).toBeVisible({ timeout: 60_000 });
  const noSideways = async () => {
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  };
  await noSideways();
  await shot(page, 'narrow-onboarding');
  await page.getByLabel('Your name').fill('Annie Easley');
  await page.getByRole('button', { name: 'Create my address' }).click();
  const words = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(words).toHaveCount(24, { timeout: 90_000 });
  await noSideways();
  await shot(page, 'narrow-phrase');
  const phrase = (await words.allInnerTexts()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await confirmPhrase(page, phrase);
  await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await fitsWidth(page);
    await shot(page, `narrow-inbox-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  // Every toolbar control is on screen and can be used.
  for (const name of ['Compose', 'Check mail', 'Tips', 'Quantum keys', 'Lock QMail'])
    await expect(page.getByRole('button', { name, exact: true })).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole('searchbox')).toBeInViewport();

  // A message on its way out, and one in the Inbox open in the reader.
  await page.getByRole('button', { name: 'Say hello to QMail Correspondent' }).click({ timeout: 90_000 });
  const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await composer.getByLabel('Subject').fill('A narrow window');
  await shot(page, 'narrow-composer');
  await expect(composer.getByRole('button', { name: 'Send' })).toBeInViewport({ ratio: 1 });
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(composer).toBeHidden({ timeout: 30_000 });
  const outbox = await sendToNobody(page, 'A subject long enough to need more than one word per line in the outbox');
  await fitsWidth(page);
  // The outbox does not wrap one word per line: its subject line is wider than a word.
  const subject = outbox.locator('.outbox-subject').first();
  expect((await subject.boundingBox())!.width).toBeGreaterThan(120);
  await shot(page, 'narrow-outbox');
  // The tray folds away to uncover the mail under it, and opens again.
  const toggle = outbox.getByRole('button', { name: /^Outbox 1$/ });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(outbox.getByRole('button', { name: 'Retry' })).toBeHidden();
  expect((await outbox.boundingBox())!.height).toBeLessThan(60);
  await toggle.click();
  await expect(outbox.getByRole('button', { name: 'Retry' })).toBeVisible();

  await (await awaitAnswer(page, 'A narrow window')).click();
  const article = page.getByRole('article', { name: 'Re: A narrow window' });
  await expect(article).toBeInViewport();
  await fitsWidth(page);
  await shot(page, 'narrow-reader');
  // The reader can be left again to get back to the list.
  await article.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('listbox', { name: 'Messages in Inbox' })).toBeInViewport();
  await fitsWidth(page);
  // Tip settings fit too: nothing wider than the window, its close button on screen.
  await page.getByRole('button', { name: 'Tips', exact: true }).click();
  const tipSettings = page.getByRole('dialog', { name: 'Tip settings' });
  await expect(tipSettings.getByRole('button', { name: 'Save fee' })).toBeVisible({ timeout: 30_000 });
  expect(await tipSettings.evaluate((d) => d.scrollWidth <= d.clientWidth)).toBe(true);
  await expect(tipSettings.getByRole('button', { name: 'Close the tip settings' })).toBeInViewport({ ratio: 1 });
  await shot(page, 'narrow-tip-settings');
  await page.keyboard.press('Escape');
  await expect(tipSettings).toBeHidden();
  expect(consoleErrors).toEqual([]);
});
