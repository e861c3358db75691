// The app services through the contract's dispatcher (inputs parsed, outputs checked):
// drafts keep every composer field, and the embedded network's KME is offered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDispatcher, type RequestName } from '../../../shared/ipc/index.js';
import { tempDir, TEST_KDF } from '../../../tests/support/tmp.js';
import { startKmePair } from '../../../server/kme/index.js';
import { createAppServices, type AppServices, type AppServicesOptions } from './services.js';

let dir: { path: string; remove: () => void };
let services: AppServices | undefined;

beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  services?.close();
  services = undefined;
  dir.remove();
});

async function open(extra: Partial<AppServicesOptions> = {}) {
  services = createAppServices({
    profileDir: join(dir.path, 'profile'),
    host: 'web',
    version: '1.0.0',
    kdf: TEST_KDF,
    autoStart: false,
    ...extra,
  });
  const dispatch = createDispatcher(services.handlers, (e) => {
    throw e;
  });
  const call = async (ch: RequestName, input: unknown) => {
    const r = await dispatch(ch, input);
    if (!r.ok) throw new Error(`${ch}: ${r.error.code} ${r.error.message}`);
    return r.value as Record<string, unknown>;
  };
  await call('vault.create', { passphrase: 'correct horse battery' });
  return call;
}

describe('drafts', () => {
  it('keeps cc, level, stripes and attachments, sealed, and gives them back identical', async () => {
    const call = await open();
    const bytes = randomBytes(70_000);
    const saved = await call('drafts.save', {
      to: ['0006.1.7'],
      cc: ['0006.1.8', '0006.1.9'],
      subject: 'Plans',
      body: 'Draft text',
      level: 'L4',
      stripes: { k: 6, p: 2 },
      attachments: [{ name: 'plan.bin', data: bytes.toString('base64') }],
    });
    const id = saved.id as string;
    const view = await call('mail.get', { id });
    expect(view).toMatchObject({
      folder: 'drafts',
      to: ['0006.1.7'],
      subject: 'Plans',
      body: 'Draft text',
      level: 'local',
      draft: { cc: ['0006.1.8', '0006.1.9'], level: 'L4', stripes: { k: 6, p: 2 } },
      attachments: [{ index: 0, name: 'plan.bin', size: bytes.length }],
    });
    const att = await call('mail.attachment', { id, index: 0 });
    expect(Buffer.from(att.data as string, 'base64').equals(bytes)).toBe(true);

    // Nothing of it is stored in the clear.
    const raw = services!.db.prepare('SELECT sealed FROM mail_extras WHERE id = ?').get(id) as { sealed: Buffer };
    expect(raw.sealed.includes(Buffer.from('0006.1.8'))).toBe(false);
    expect(raw.sealed.includes(bytes.subarray(0, 64))).toBe(false);

    // An autosave that only sends the words keeps the rest; given fields replace it.
    await call('drafts.save', { id, to: ['0006.1.7'], subject: 'Plans', body: 'More text' });
    expect(await call('mail.get', { id })).toMatchObject({
      body: 'More text',
      draft: { cc: ['0006.1.8', '0006.1.9'], level: 'L4', stripes: { k: 6, p: 2 } },
      attachments: [{ name: 'plan.bin' }],
    });
    // Found by a Cc address and an attachment name.
    expect(((await call('mail.search', { query: '0006.1.9' })).items as { id: string }[]).map((m) => m.id)).toEqual([id]);
    expect(((await call('mail.search', { query: 'plan.bin' })).items as { id: string }[]).map((m) => m.id)).toEqual([id]);
    await call('drafts.save', { id, to: ['0006.1.7'], subject: 'Plans', body: 'More text', cc: [], level: 'L3', attachments: [] });
    const after = await call('mail.get', { id });
    expect(after).toMatchObject({ draft: { cc: [], level: 'L3', stripes: { k: 6, p: 2 } }, attachments: [] });
  });

  it('refuses a bad stripe layout and editing mail that is not a draft', async () => {
    const call = await open();
    await expect(call('drafts.save', { to: [], subject: '', body: 'x', stripes: { k: 30, p: 5 } })).rejects.toThrow(/invalid_input/);
    const { id } = await call('drafts.save', { to: [], subject: 's', body: 'x' });
    services!.messages.move(id as string, 'inbox');
    await expect(call('drafts.save', { id, to: [], subject: 's', body: 'y' })).rejects.toThrow(/Only drafts can be edited/);
  });
});

describe('the local test KME', () => {
  it('is reported by qkd.settings.get while its kme.json is there', async () => {
    const file = join(dir.path, 'kme.json');
    writeFileSync(file, '{}');
    const call = await open({ localKmeFile: file });
    expect(await call('qkd.settings.get', {})).toEqual({ configured: false, localKme: { path: file } });
    expect(await call('qkd.settings.set', { clear: true })).toMatchObject({ configured: false, localKme: { path: file } });
    rmSync(file);
    expect(await call('qkd.settings.get', {})).toEqual({ configured: false });
  });

  it('is not reported without the embedded network, and nothing is configured', async () => {
    const call = await open();
    expect(await call('qkd.settings.get', {})).toEqual({ configured: false });
    const levels = (await call('qkd.levels', { to: ['0006.0.1000'], bodyBytes: 100 })).levels as {
      level: string;
      available: boolean;
      reason?: string;
    }[];
    expect(levels.find((l) => l.level === 'L1')).toMatchObject({ available: false, reason: 'no KME configured' });
  });
});

describe('the embedded KME pair as the default KME', () => {
  it('is the configured KME from the first unlock, with L1 and L2 available; the user can still change or clear it', async () => {
    const pair = await startKmePair({ dir: join(dir.path, 'kme') });
    try {
      const call = await open({ localKmeFile: pair.configPath });
      const st = await call('qkd.settings.get', {});
      expect(st).toMatchObject({
        configured: true,
        settings: { url: pair.kmeA.url, saeId: 'SAE_ALICE', defaultPeerSaeId: 'SAE_BOB', caFile: pair.kmeA.ca },
        localKme: { path: pair.configPath },
      });
      const levels = (await call('qkd.levels', { to: ['0006.0.1000'], bodyBytes: 100 })).levels as { level: string; available: boolean }[];
      expect(levels.filter((l) => l.available).map((l) => l.level)).toEqual(['L1', 'L2', 'L3', 'L4']);

      // The pair moved (its port was taken): the next unlock follows it.
      const moved = JSON.parse(readFileSync(pair.configPath, 'utf8')) as { kmeA: { url: string } };
      moved.kmeA.url = 'https://127.0.0.1:1';
      writeFileSync(pair.configPath, JSON.stringify(moved));
      await call('vault.lock', {});
      await call('vault.unlock', { passphrase: 'correct horse battery' });
      expect(await call('qkd.settings.get', {})).toMatchObject({ configured: true, settings: { url: 'https://127.0.0.1:1' } });

      // Cleared by the user: it stays cleared across unlocks.
      expect(await call('qkd.settings.set', { clear: true })).toMatchObject({ configured: false, localKme: { path: pair.configPath } });
      await call('vault.lock', {});
      await call('vault.unlock', { passphrase: 'correct horse battery' });
      expect(await call('qkd.settings.get', {})).toMatchObject({ configured: false });

      // "Use the local test KME" brings it back, followed on unlock as before.
      await call('qkd.settings.set', { import: { path: pair.configPath, side: 'A' } });
      moved.kmeA.url = pair.kmeA.url;
      writeFileSync(pair.configPath, JSON.stringify(moved));
      await call('vault.lock', {});
      await call('vault.unlock', { passphrase: 'correct horse battery' });
      expect(await call('qkd.settings.get', {})).toMatchObject({ configured: true, settings: { url: pair.kmeA.url } });

      // The user's own settings are kept, not replaced by the embedded pair.
      const own = {
        url: 'https://kme.example:8443',
        saeId: 'SAE_OWN',
        defaultPeerSaeId: 'SAE_PEER',
        peers: {},
        certFile: pair.kmeB.saeCert,
        keyFile: pair.kmeB.saeKey,
        caFile: pair.kmeB.ca,
      };
      await call('qkd.settings.set', { settings: own });
      await call('vault.lock', {});
      await call('vault.unlock', { passphrase: 'correct horse battery' });
      expect(await call('qkd.settings.get', {})).toMatchObject({ configured: true, settings: { url: own.url, saeId: 'SAE_OWN' } });
    } finally {
      await pair.close();
    }
  });
});

describe('staged attachment uploads through the contract', () => {
  it('takes a file in chunks of at most 1 MiB into the sealed store, refuses bigger chunks and bad ids, and forgets what is discarded', async () => {
    const call = await open();
    const bytes = randomBytes((1 << 20) + 5000);
    const { id } = (await call('attachments.begin', { name: 'video.mp4', size: bytes.length })) as { id: string };
    await expect(call('attachments.chunk', { id, data: Buffer.alloc((1 << 20) + 3).toString('base64') })).rejects.toThrow(/invalid_input/);
    await expect(call('attachments.chunk', { id: 'nope', data: '' })).rejects.toThrow(/invalid_input/);
    expect(await call('attachments.chunk', { id, data: bytes.subarray(0, 1 << 20).toString('base64') })).toEqual({ received: 1 << 20 });
    expect(await call('attachments.chunk', { id, data: bytes.subarray(1 << 20).toString('base64') })).toEqual({ received: bytes.length });
    expect(await call('attachments.finish', { id })).toEqual({ size: bytes.length });
    const store = join(dir.path, 'profile', 'attachments');
    const files = readdirSync(store);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(store, files[0]!)).includes(bytes.subarray(0, 64))).toBe(false);
    expect(await call('attachments.discard', { id })).toEqual({ ok: true });
    expect(readdirSync(store)).toEqual([]);
    await expect(call('attachments.finish', { id })).rejects.toThrow(/not_found/);

    // A send that is refused (no identity here) leaves the upload staged, its file in place.
    const again = (await call('attachments.begin', { name: 'notes.txt', size: 5 })) as { id: string };
    await call('attachments.chunk', { id: again.id, data: Buffer.from('notes').toString('base64') });
    await call('attachments.finish', { id: again.id });
    await expect(call('mail.send', { to: ['0006.1.7'], subject: 'Staged', body: 'see attached', staged: [again.id] })).rejects.toThrow(
      /no QMail identity/,
    );
    expect(await call('attachments.finish', { id: again.id })).toEqual({ size: 5 });
    expect(readdirSync(store)).toHaveLength(1);
    await call('attachments.discard', { id: again.id });
    expect(readdirSync(store)).toEqual([]);
  });
});
