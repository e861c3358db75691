// The senders whose remote images the user allowed, kept across runs: one row, the list
// sealed with the vault's data key (addresses name people, so nothing of it lies in clear).
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';

const AAD = 'qmail.legacy.image-senders.v1';
const MAX = 10_000;

export class ImageSenders {
  constructor(
    private readonly db: Db,
    private readonly box: () => SecretBox,
  ) {}

  private read(): string[] {
    const row = this.db.prepare('SELECT sealed FROM legacy_image_senders WHERE id = 1').get() as { sealed: Buffer } | undefined;
    if (!row) return [];
    const list = JSON.parse(this.box().open(row.sealed, AAD).toString('utf8')) as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  }

  has(address: string): boolean {
    return this.read().includes(address.toLowerCase());
  }

  allow(address: string): void {
    const list = this.read();
    const a = address.toLowerCase();
    if (list.includes(a)) return;
    const next = [...list, a].slice(-MAX);
    const sealed = this.box().seal(Buffer.from(JSON.stringify(next), 'utf8'), AAD);
    this.db
      .prepare('INSERT INTO legacy_image_senders (id, sealed) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed')
      .run(sealed);
  }
}
