// The inbox 100k bench's two processes (bench/suites/inbox.ts runs each as its own child, so
// the RSS measured is the app's alone):
//   build DIR N    makes a profile (the default Argon2id costs) holding N sealed messages
//                  with their sealed extras, in one transaction;
//   measure DIR    opens it as the app does and prints one JSON line of timings.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argon2id } from 'hash-wasm';
import { createAppServices } from '../electron/services/app/services.js';
import { ExtrasTable } from '../electron/store/extras.js';
import { DEFAULT_KDF } from '../electron/store/vault.js';
import type { FolderId } from '../shared/ipc/index.js';
import { median } from './types.js';

export const PASSPHRASE = 'bench passphrase';
const WORDS =
  'meeting budget quarterly report invoice travel garden recipe project deadline review contract server stripe parity beacon capsule holiday family concert library museum river mountain harbour council permit schedule draft minutes'.split(
    ' ',
  );
const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Emmy Noether',
  'Claude Shannon',
  'Hedy Lamarr',
  'Katherine Johnson',
  'John von Neumann',
];
export const QUERIES = ['budget', 'harbour permit', 'noether', 'invoice 4711', 'zzzz-nothing'];

/** A deterministic pseudo-random letter: about 1.5 KB of text, a sender among eight. */
export function letter(i: number): { folder: FolderId; date: number; from: string; fromName: string; subject: string; body: string } {
  let x = (i + 1) * 2654435761;
  const next = () => ((x = (x ^ (x << 13)) >>> 0), (x = (x ^ (x >>> 17)) >>> 0), (x = (x ^ (x << 5)) >>> 0), x);
  const word = () => WORDS[next() % WORDS.length]!;
  const sentences: string[] = [];
  let len = 0;
  while (len < 1500) {
    const s = `${Array.from({ length: 8 + (next() % 8) }, word).join(' ')} ${next() % 10000}.`;
    sentences.push(s[0]!.toUpperCase() + s.slice(1));
    len += s.length + 1;
  }
  const r = i % 20;
  const folder: FolderId = r < 14 ? 'inbox' : r < 17 ? 'sent' : r < 19 ? 'archive' : 'trash';
  const who = next() % NAMES.length;
  return {
    folder,
    date: 1_700_000_000_000 + i * 60_000,
    from: `0006.0.${1000 + who}`,
    fromName: NAMES[who]!,
    subject: `${word()} ${word()} ${i}`,
    body: sentences.join(' '),
  };
}

async function build(dir: string, n: number): Promise<void> {
  const app = createAppServices({ profileDir: dir, host: 'web', version: 'bench', autoStart: false });
  await app.vault.create(PASSPHRASE);
  const extras = new ExtrasTable(app.db, () => app.vault.box());
  const insert = app.db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const l = letter(i);
      const id = randomBytes(16).toString('hex');
      app.messages.put(id, l.folder, l.date, i % 3 === 0, {
        from: l.from,
        fromName: l.fromName,
        to: ['0006.0.999'],
        subject: l.subject,
        body: l.body,
        level: 'L3',
      });
      extras.put(id, {
        attachments: [],
        stripes: { k: 4, p: 1 },
        guid: randomBytes(16).toString('hex'),
        letterId: randomBytes(16).toString('hex'),
      });
    }
  });
  for (let at = 0; at < n; at += 10_000) insert(at, Math.min(n, at + 10_000));
  app.close();
}

async function measure(dir: string): Promise<void> {
  const ms = (t: number) => performance.now() - t;
  // The reference: the key derivation alone, with the profile's costs.
  let t = performance.now();
  await argon2id({
    password: PASSPHRASE,
    salt: new Uint8Array(16),
    iterations: DEFAULT_KDF.iterations,
    parallelism: DEFAULT_KDF.parallelism,
    memorySize: DEFAULT_KDF.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
  const kdf = ms(t);
  const app = createAppServices({ profileDir: dir, host: 'web', version: 'bench', autoStart: true });
  const h = app.handlers;
  const page = { offset: 0, limit: 50 };
  // Unlock → the first screen: the folder list and the Inbox's first page.
  t = performance.now();
  const unlockedAt = t;
  await h['vault.unlock']({ passphrase: PASSPHRASE });
  const unlock = ms(t);
  await h['mail.folders']({});
  const first = await h['mail.list']({ folder: 'inbox', ...page });
  const firstScreen = ms(t);
  // The reference again (this shared machine's speed drifts): the mean of before and after.
  t = performance.now();
  await argon2id({
    password: PASSPHRASE,
    salt: new Uint8Array(16),
    iterations: DEFAULT_KDF.iterations,
    parallelism: DEFAULT_KDF.parallelism,
    memorySize: DEFAULT_KDF.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
  const kdfMean = (kdf + ms(t)) / 2;
  if (first.items.length !== 50) throw new Error('the first screen did not list 50 messages');
  // Folder switches, each a page of another folder.
  const switches: number[] = [];
  const raw: number[] = [];
  const rawPage = app.db.prepare('SELECT id, folder, date, unread, sealed FROM messages WHERE folder = ? ORDER BY date DESC, id LIMIT 50');
  for (let round = 0; round < 5; round++) {
    for (const folder of ['sent', 'archive', 'trash', 'inbox'] as FolderId[]) {
      t = performance.now();
      await h['mail.folders']({});
      await h['mail.list']({ folder, ...page });
      switches.push(ms(t));
      t = performance.now();
      rawPage.all(folder);
      raw.push(ms(t));
    }
  }
  // The index is built in the background after unlock; the searches below run once it is ready.
  while (!app.mail.mailbox.built) await new Promise((r) => setTimeout(r, 10));
  const indexReady = ms(unlockedAt);
  // Searches, each asked three times.
  const searches: number[] = [];
  let hits = 0;
  for (let round = 0; round < 3; round++) {
    for (const query of QUERIES) {
      t = performance.now();
      const r = await h['mail.search']({ query, limit: 50 });
      searches.push(ms(t));
      hits += r.total;
    }
  }
  global.gc?.();
  const rss = process.memoryUsage.rss() / 2 ** 20;
  app.close();
  process.stdout.write(
    JSON.stringify({
      kdf: kdfMean,
      unlock,
      firstScreen,
      indexReady,
      switchMs: median(switches),
      rawPageMs: median(raw),
      searchMs: median(searches),
      searches,
      hits,
      rss,
    }) + '\n',
  );
}

// Run as a script only (the suite imports the letters and queries from here).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mode, dir, n] = process.argv.slice(2);
  if (mode === 'build') await build(join(dir!), Number(n));
  else if (mode === 'measure') await measure(join(dir!));
}
