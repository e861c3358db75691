// The host fixture: a fresh profile folder, a real host process serving the built
// renderer and the contract, and a page opened on the link it prints. Teardown stops the
// host (its whole process group) and removes the profile.
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type ConsoleMessage, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMintKey } from '../dev-network/mint.js';

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const shotsDir = join(repoRoot, 'artifacts', 'e2e');
const URL_LINE = /^QMail Desktop is running at (http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+))\s*$/m;

export interface HostHandle {
  url: string;
  origin: string;
  port: number;
  token: string;
  profileDir: string;
  /** Everything the host wrote to stderr so far (its log). */
  log(): string;
}

/** Stops a process started with `detached: true` and everything in its group (SIGTERM, then SIGKILL after 5 s). */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** `args`: more host flags, e.g. `--network FILE` to join another profile's network. */
export async function startHost(profileDir: string, args: string[] = []): Promise<{ child: ChildProcess; handle: HostHandle }> {
  if (!existsSync(join(repoRoot, 'dist', 'renderer', 'index.html')))
    throw new Error('The renderer is not built: run "npx vite build" (npm run test:e2e does it).');
  const child = spawn('npx', ['tsx', 'electron/host/main.ts', '--profile', profileDir, '--port', '0', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so teardown stops npx, tsx and node together
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host printed no URL within 60 s\nstdout: ${out}\nstderr: ${err}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = URL_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the host exited (${code}) before printing its URL\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  const url = match[1]!;
  return {
    child,
    handle: { url, origin: new URL(url).origin, port: Number(match[2]), token: match[3]!, profileDir, log: () => err },
  };
}

/** A second app profile on the network another profile's app brought up, open in a page of its own. */
export interface SecondProfile {
  page: Page;
  host: HostHandle;
  /** Its page's console errors and uncaught exceptions. */
  errors: string[];
  /** Closes its page, stops its host and removes its profile. */
  close(): Promise<void>;
}

/** Starts a profile that joins `first`'s network (so each finds the other in its directory) and opens it in a new browser context. */
export function joinNetwork(browser: Browser, first: HostHandle): Promise<SecondProfile> {
  // The first profile's network is a test network: the second knows its mint, so test Chips it receives count as test money.
  const networkDir = join(first.profileDir, 'network');
  const mintKey = readMintKey(networkDir);
  return openProfile(browser, ['--network', join(networkDir, 'network.json'), ...(mintKey ? ['--mint-key', mintKey] : [])]);
}

/** Makes a vault and an identity in two pages at once (first, second): their two addresses, which differ. */
export async function onboardTwo(first: Page, second: Page, names: [string, string]): Promise<[string, string]> {
  await Promise.all([
    createVault(first, 'maple orbit lantern 42').then(() => onboard(first, names[0])),
    createVault(second, 'cedar river harbor 17').then(() => onboard(second, names[1])),
  ]);
  const addresses = (await Promise.all([first, second].map((p) => p.locator('.me-address').textContent()))).map((a) => a!.trim()) as [
    string,
    string,
  ];
  expect(addresses[0]).not.toBe(addresses[1]);
  return addresses;
}

export const test = base.extend<{ host: HostHandle; app: Page; consoleErrors: string[] }>({
  // eslint-disable-next-line no-empty-pattern
  host: async ({}, use, testInfo) => {
    const profileDir = await mkdtemp(join(tmpdir(), 'qmail-e2e-'));
    const { child, handle } = await startHost(profileDir);
    try {
      await use(handle);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('host-log', { body: handle.log(), contentType: 'text/plain' });
      await stopProcessGroup(child);
      await rm(profileDir, { recursive: true, force: true });
    }
  },
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    page.on('console', onConsole);
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
    page.off('console', onConsole);
  },
  app: async ({ page, host, consoleErrors }, use) => {
    void consoleErrors; // start collecting before the first navigation
    await page.goto(host.url);
    await use(page);
  },
});

export async function shot(page: Page, name: string): Promise<string> {
  await mkdir(shotsDir, { recursive: true });
  const path = join(shotsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export { expect };

/** axe on the page as it is, light then dark: its serious and critical findings, each named `name (scheme) rule: targets`; a screenshot `name-scheme.png` of each. */
export async function axeLightDark(page: Page, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        found.push(`${name} (${scheme}) ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    await shot(page, `${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

/** After the vault: make an identity with the preselected servers and confirm the recovery phrase. */
export async function onboard(page: Page, name = 'Grace Hopper', shotPrefix?: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Make your QMail address' })).toBeVisible({ timeout: 60_000 });
  await page.getByLabel('Your name').fill(name);
  // The directory's servers are listed with sensible defaults already chosen.
  await expect(page.getByRole('checkbox', { name: /^Store mail on / }).first()).toBeVisible({ timeout: 60_000 });
  if (shotPrefix) await shot(page, `${shotPrefix}-servers`);
  await page.getByRole('button', { name: 'Create my address' }).click();
  await expect(page.getByRole('heading', { name: 'Write down your recovery phrase' })).toBeVisible({ timeout: 90_000 });
  const words = page.getByRole('list', { name: 'Recovery phrase' }).getByRole('listitem');
  await expect(words).toHaveCount(24);
  if (shotPrefix) await shot(page, `${shotPrefix}-phrase`);
  const phrase = (await words.allInnerTexts()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I wrote them down' }).click();
  await confirmPhrase(page, phrase, shotPrefix);
  await expect(page.getByRole('navigation', { name: 'Folders' })).toBeVisible({ timeout: 60_000 });
}

/** The confirmation step: retype the words it asks for (by their numbers) and open the inbox. */
export async function confirmPhrase(page: Page, phrase: string[], shotPrefix?: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Confirm your recovery phrase' })).toBeVisible({ timeout: 30_000 });
  const form = page.getByRole('form', { name: 'Confirm your recovery phrase' });
  const fields = form.getByRole('textbox', { name: /^Word \d+$/ });
  await expect(fields).toHaveCount(3);
  if (shotPrefix) await shot(page, `${shotPrefix}-confirm`);
  for (let n = 1; n <= phrase.length; n++) {
    const field = form.getByRole('textbox', { name: `Word ${n}`, exact: true });
    if ((await field.count()) > 0) await field.fill(phrase[n - 1]!);
  }
  await form.getByRole('button', { name: 'Open my inbox' }).click();
}

export async function createVault(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Repeat passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Create vault' }).click();
}

/** A profile of its own (a fresh folder, a host started with `args`, e.g. `--network FILE`), open in a new browser context. */
export async function openProfile(browser: Browser, args: string[] = []): Promise<SecondProfile> {
  const dir = await mkdtemp(join(tmpdir(), 'qmail-e2e-profile-'));
  let started: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    started = await startHost(dir, args);
    const { child, handle } = started;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const close = async () => {
      await context.close();
      await stopProcessGroup(child);
      await rm(dir, { recursive: true, force: true });
    };
    await page.goto(handle.url).catch(async (e: unknown) => {
      await close();
      throw e;
    });
    return { page, host: handle, errors, close };
  } catch (e) {
    if (started) await stopProcessGroup(started.child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Opens the wallet: its balance line (e.g. "95 CC"). */
export async function walletTotal(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Wallet', exact: true }).click();
  const wallet = page.getByRole('dialog', { name: 'Wallet' });
  await expect(wallet).toBeVisible();
  return wallet.getByRole('region', { name: 'Balance' }).getByRole('status');
}

export async function closeWallet(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Close the wallet' }).click();
  await expect(page.getByRole('dialog', { name: 'Wallet' })).toBeHidden();
}

/** Writes to `to` (an address typed in full) and waits until the fee line has answered; returns the composer. */
export async function composeTo(page: Page, to: string, subject: string): Promise<Locator> {
  await page.keyboard.press('c');
  const composer = page.getByRole('dialog', { name: /^(New message|Edit draft)$/ });
  await composer.getByRole('combobox', { name: 'To' }).fill(to);
  await composer.getByLabel('Subject').fill(subject);
  await composer.getByLabel('Message').fill(`${subject}: a few words.`);
  await expect(composer.getByRole('region', { name: 'Inbox fees' }).getByRole('status')).toBeVisible({ timeout: 60_000 });
  return composer;
}

/** The Inbox row with this subject, waited for without touching Check mail. */
export async function arrivedInInbox(page: Page, subject: string): Promise<Locator> {
  await page
    .getByRole('navigation', { name: 'Folders' })
    .getByRole('button', { name: /^Inbox/ })
    .click();
  const row = page.getByRole('listbox', { name: 'Messages in Inbox' }).getByRole('option').filter({ hasText: subject });
  await expect(row).toHaveCount(1, { timeout: 120_000 });
  return row;
}

/** CC in 1e-8 units → "9.5" (the shortest exact form, as the app writes amounts). */
export function ccText(units: bigint): string {
  const whole = units / 100_000_000n;
  const frac = (units % 100_000_000n).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Sets the inbox fee for strangers in Tip settings (`cc` e.g. "10") and waits until the servers took it; the dialog stays open. */
export async function setInboxFee(page: Page, cc: string): Promise<void> {
  await page.getByRole('button', { name: 'Tips', exact: true }).click();
  const tips = page.getByRole('dialog', { name: 'Tip settings' });
  await expect(tips.getByRole('status').first()).toHaveText('Your inbox is free: anyone may write to you.', { timeout: 60_000 });
  await tips.getByLabel('Fee in CC').fill(cc);
  await tips.getByRole('button', { name: 'Save fee' }).click();
  await expect(tips.getByRole('status').first()).toHaveText(`Strangers pay ${cc} CC to write to you.`, { timeout: 60_000 });
  await expect(tips.getByRole('status').filter({ hasText: `Your inbox fee is ${cc} CC now.` })).toBeVisible();
}
