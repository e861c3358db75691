// The newcomer's first run, through the built app started exactly as the README says
// (`npm run web`, a fresh home, no flags): passphrase → identity → recovery phrase check →
// hello to the built-in correspondent → its answer arrives by itself (nobody clicks
// "Check mail") → an L1 round trip → the app is stopped and started again → L1 and L2 round
// trips still work against the embedded KME pair, whose keys survived the restart.
import { test, expect, type Page } from '@playwright/test';
import { freshHome, npmRunWeb, START_BUDGET_MS, type RunningApp } from './built-app.js';
import { createVault, onboard, shot } from './fixtures.js';
import { awaitAnswer, sendToCorrespondent } from './mail-steps.js';

const PASSPHRASE = 'quiet harbour 1983 lamps';

async function quantumRoundTrip(page: Page, level: 'L1' | 'L2', subject: string): Promise<void> {
  await sendToCorrespondent(page, level, subject, `Hello at ${level}.`);
  const reply = await awaitAnswer(page, subject);
  await reply.click();
  const answer = page.getByRole('article', { name: `Re: ${subject}` });
  // The correspondent opened it with keys its KME (B) delivered for the ones ours (A) issued,
  await expect(answer).toContainText('Opened with QKD keys from KME_B:');
  // and answered at the same level with fresh keys.
  await expect(answer).toContainText(`This answer is sealed at ${level} with fresh QKD keys from KME_B.`);
  await expect(answer.getByText('Quantum Secured', { exact: true })).toBeVisible();
}

test('first run of the built app: hello answered by itself, quantum levels before and after a restart', async ({ page }) => {
  test.setTimeout(420_000);
  const home = await freshHome();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  let app: RunningApp | undefined;
  try {
    app = await npmRunWeb(home.home);
    expect(app.startMs).toBeLessThan(START_BUDGET_MS);
    await page.goto(app.url);

    await expect(page.getByRole('heading', { name: 'Welcome to QMail' })).toBeVisible({ timeout: 30_000 });
    await createVault(page, PASSPHRASE);
    await onboard(page, 'Margaret Hamilton');

    // Hello to the built-in correspondent; its answer arrives with no click on "Check mail".
    // The empty Inbox introduces it; its button opens a composer already addressed to it.
    await page.getByRole('button', { name: 'Say hello to QMail Correspondent' }).click({ timeout: 60_000 });
    const hello = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
    await expect(hello.getByRole('combobox', { name: 'To' })).toHaveValue(/^QMail Correspondent <0006\.\d+\.\d+>$/);
    await hello.getByLabel('Subject').fill('Hello from my first minute');
    await hello.getByLabel('Message').fill('Is anybody out there?');
    await hello.getByRole('button', { name: 'Send' }).click();
    await expect(hello).toBeHidden({ timeout: 30_000 });
    const reply = await awaitAnswer(page, 'Hello from my first minute');
    await expect(reply).toContainText('QMail Correspondent');
    await reply.click();
    await expect(page.getByRole('article', { name: 'Re: Hello from my first minute' })).toContainText('arrived intact');
    // The README's "first five minutes" picture comes from this screen.
    await shot(page, 'first-run-answer');

    // Quantum levels work from the first minute, with no settings visited.
    await quantumRoundTrip(page, 'L1', 'One-time pad before the restart');

    // Stop the app and start it again the same way. While it is down the open page's
    // reconnection attempts are refused, as they should be: those errors are not the app's.
    expect(errors).toEqual([]);
    await app.stop();
    app = await npmRunWeb(home.home);
    await page.goto(app.url);
    errors.length = 0;
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });

    await quantumRoundTrip(page, 'L1', 'One-time pad after the restart');
    await quantumRoundTrip(page, 'L2', 'Quantum-keyed AES after the restart');
    await shot(page, 'first-run-after-restart');
    expect(errors).toEqual([]);
  } catch (e) {
    if (app) await test.info().attach('app-output', { body: app.output(), contentType: 'text/plain' });
    throw e;
  } finally {
    await app?.stop();
    await home.remove();
  }
});
