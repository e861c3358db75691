// The first qmail: a newcomer onboards on the embedded network, writes to the built-in
// correspondent with an attachment, watches it leave, and reads the answer. Then QKD end to
// end: the user (behind KME A) and the correspondent (behind KME B) exchange an L1 and an
// L2 qmail, and the certificates show the same key IDs both KMEs issued.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVault, expect, onboard, shot, test } from './fixtures.js';
import { awaitAnswer, certificateKeys, pickCorrespondent, sendToCorrespondent, UUID } from './mail-steps.js';

const PASSPHRASE = 'maple orbit lantern 42';

test('a newcomer sends a qmail with an attachment and reads the reply', async ({ app: page, consoleErrors }) => {
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace', 'qmail-onboarding');
  await expect(page.getByText('Ada Lovelace')).toBeVisible();

  await page.keyboard.press('c');
  const dialog = await pickCorrespondent(page);
  await dialog.getByLabel('Subject').fill('Hello from the garage node');
  await dialog.getByLabel('Message').fill('Dear correspondent,\n\nThe stripes are flying. See the attached notes.\n\nAda');
  await dialog
    .getByLabel('Attach files')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Quantum notes: 42 stripes and a beacon.\n') });
  await expect(dialog.getByRole('region', { name: 'Attachments' })).toContainText('notes.txt');
  await expect(dialog.getByRole('region', { name: 'Attachments' })).toContainText('40 B');
  // Levels: 3 is the default; plain is for legacy mail only; 1 and 2 are ready from the first
  // minute, against the embedded KME pair.
  await expect(dialog.getByRole('radio', { name: /L3/ })).toBeChecked();
  await expect(dialog.getByRole('radio', { name: /Plain/ })).toBeDisabled();
  await expect(dialog.getByRole('radio', { name: /L1/ })).toBeEnabled({ timeout: 30_000 });
  await expect(dialog.getByRole('radio', { name: /L2/ })).toBeEnabled();
  await shot(page, 'qmail-composer');
  await dialog.getByLabel('Message').press('Control+Enter');
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // It leaves through the outbox and lands in Sent.
  const folders = page.getByRole('navigation', { name: 'Folders' });
  await folders.getByRole('button', { name: /^Sent/ }).click();
  const sentRow = page
    .getByRole('listbox', { name: 'Messages in Sent' })
    .getByRole('option')
    .filter({ hasText: 'Hello from the garage node' });
  await expect(sentRow).toHaveCount(1, { timeout: 60_000 });
  await shot(page, 'qmail-sent');

  // The reply arrives in the Inbox by itself.
  const reply = await awaitAnswer(page, 'Hello from the garage node');
  // The list names the sender as the directory knows it, not by a bare address.
  await expect(reply).toContainText('QMail Correspondent');
  await reply.click();
  const article = page.getByRole('article', { name: 'Re: Hello from the garage node' });
  await expect(article).toContainText('arrived intact');
  await expect(article).toContainText('notes.txt');
  await expect(article).toContainText('QMail Correspondent');
  await expect(article.getByText(/L3 · Post-quantum/)).toBeVisible();
  await shot(page, 'qmail-reply');

  // Its certificate says how it was protected, from verified data.
  await article.getByRole('button', { name: 'Certificate' }).click();
  const cert = page.getByRole('dialog', { name: 'Security certificate' });
  await expect(cert).toContainText('ML-DSA');
  await expect(cert).toContainText('verified');
  await shot(page, 'qmail-reply-certificate');
  await cert.getByRole('button', { name: 'Close the certificate' }).click();

  // r replies: recipients and subject are filled in.
  await page.getByRole('listbox', { name: 'Messages in Inbox' }).focus();
  await page.keyboard.press('r');
  const replyDialog = page.getByRole('dialog', { name: 'Re: Hello from the garage node' });
  await expect(replyDialog.getByLabel('Subject')).toHaveValue('Re: Hello from the garage node');
  await expect(replyDialog.getByRole('combobox', { name: 'To' })).toHaveValue(/\d+\.\d+/);
  await replyDialog.getByRole('button', { name: 'Discard' }).click();

  expect(consoleErrors).toEqual([]);
});

test('L1 and L2 with the correspondent behind KME B: both ends name the same QKD key IDs', async ({ app: page, host, consoleErrors }) => {
  test.setTimeout(240_000);
  await createVault(page, PASSPHRASE);
  await onboard(page, 'Ada Lovelace');

  // Side A of the embedded KME pair is configured from the start (the correspondent is behind
  // side B); importing its kme.json again works the same way a real KME's file would.
  await page.getByRole('button', { name: 'Quantum keys' }).click();
  const settings = page.getByRole('dialog', { name: 'Quantum keys (KME)' });
  await expect(settings.getByText(/^Configured: https:\/\//)).toBeVisible({ timeout: 30_000 });
  await settings
    .getByRole('form', { name: 'Import a kme.json' })
    .getByLabel('File')
    .fill(join(host.profileDir, 'network', 'kme', 'kme.json'));
  await settings.getByRole('button', { name: 'Import' }).click();
  await expect(settings.getByText(/^Configured: https:\/\//)).toBeVisible({ timeout: 30_000 });
  await settings.getByRole('button', { name: 'Test connection' }).click();
  await expect(settings.getByText(/✓ Connected to KME KME_A as SAE_ALICE; linked to KME KME_B for SAE_BOB/)).toBeVisible({
    timeout: 30_000,
  });
  await shot(page, 'kme-settings');
  await settings.getByRole('button', { name: 'Close the settings' }).click();

  // The correspondent is up (and registered) once the network file names it.
  const networkFile = join(host.profileDir, 'network', 'network.json');
  await expect
    .poll(
      () => {
        try {
          return (
            (JSON.parse(readFileSync(networkFile, 'utf8')) as { services?: { correspondent?: { address?: string } } }).services
              ?.correspondent?.address ?? ''
          );
        } catch {
          return '';
        }
      },
      { timeout: 90_000 },
    )
    .toMatch(/^0006\./);

  const sent = [
    { level: 'L1', subject: 'A one-time pad from KME A', body: 'Padded with QKD keys.' },
    { level: 'L2', subject: 'Keys from the quantum link', body: 'Sealed with QKD keys.' },
  ] as const;
  for (const m of sent) await sendToCorrespondent(page, m.level, m.subject, m.body, () => shot(page, `qkd-composer-${m.level}`));

  const folders = page.getByRole('navigation', { name: 'Folders' });
  const cert = page.getByRole('dialog', { name: 'Security certificate' });
  for (const m of sent) {
    // The sent copy: the key IDs KME A issued to this user for the correspondent.
    await folders.getByRole('button', { name: /^Sent/ }).click();
    const row = page.getByRole('listbox', { name: 'Messages in Sent' }).getByRole('option').filter({ hasText: m.subject });
    await expect(row).toHaveCount(1, { timeout: 60_000 });
    await row.click();
    const article = page.getByRole('article', { name: m.subject });
    await expect(article.getByText('Quantum Secured', { exact: true })).toBeVisible();
    await article.getByRole('button', { name: 'Certificate' }).click();
    await expect(cert).toContainText(`${m.level} — Level ${m.level.slice(1)}`);
    await expect(cert).toContainText('signed by this device');
    const sentKeys = await certificateKeys(cert);
    // L1 pads the capsule (several 256-bit keys), L2 takes one.
    if (m.level === 'L1') expect(sentKeys.length).toBeGreaterThan(1);
    else expect(sentKeys).toHaveLength(1);
    expect(new Set(sentKeys.map((k) => k.kme))).toEqual(new Set(['KME_A']));
    await shot(page, `qkd-sent-certificate-${m.level}`);
    await cert.getByRole('button', { name: 'Close the certificate' }).click();

    // The answer comes at the same level; its body names the key IDs KME B delivered to open it.
    const reply = await awaitAnswer(page, m.subject);
    await reply.click();
    const answer = page.getByRole('article', { name: `Re: ${m.subject}` });
    await expect(answer).toContainText('Opened with QKD keys from KME_B:');
    await expect(answer.getByText('Quantum Secured', { exact: true })).toBeVisible();
    const line = /Opened with QKD keys from KME_B: ([^\n]*)/.exec(await answer.innerText());
    expect(line?.[1]?.match(UUID)).toEqual(sentKeys.map((k) => k.keyId));
    await expect(answer).toContainText(`This answer is sealed at ${m.level} with fresh QKD keys from KME_B.`);
    await shot(page, `qkd-answer-${m.level}`);

    // Its certificate: same level, verified signature, keys the correspondent's KME B issued for it.
    await answer.getByRole('button', { name: 'Certificate' }).click();
    await expect(cert).toContainText(`${m.level} — Level ${m.level.slice(1)}`);
    await expect(cert.getByText('Quantum Secured', { exact: true })).toBeVisible();
    await expect(cert).toContainText('✓ verified');
    const answerKeys = await certificateKeys(cert);
    if (m.level === 'L1') expect(answerKeys.length).toBeGreaterThan(1);
    else expect(answerKeys).toHaveLength(1);
    expect(new Set(answerKeys.map((k) => k.kme))).toEqual(new Set(['KME_B']));
    // Fresh keys: none of the ones that carried the question.
    expect(answerKeys.filter((k) => sentKeys.some((s) => s.keyId === k.keyId))).toEqual([]);
    await shot(page, `qkd-answer-certificate-${m.level}`);
    await cert.getByRole('button', { name: 'Close the certificate' }).click();
  }
  expect(consoleErrors).toEqual([]);
});
