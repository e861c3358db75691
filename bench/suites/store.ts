// Local store: how much sealing every message costs. Inserts of sealed messages
// (AES-256-GCM per row, the app's real MessageStore) against the same rows stored plain,
// in the same database settings, measured in the same run.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../electron/store/database.js';
import { MessageStore, newMessageId } from '../../electron/store/messages.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { tempDir } from '../../tests/support/tmp.js';
import { median, type Suite } from '../types.js';

function sampleBody(i: number): string {
  return `Message ${i}. ` + 'The quick brown fox jumps over the lazy dog. '.repeat(40);
}

const suite: Suite = {
  name: 'store',
  async run(ctx) {
    const n = ctx.quick ? 2_000 : 20_000;
    const rounds = 5;
    const sealedRates: number[] = [];
    const plainRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const dir = tempDir('qmail-bench-');
      try {
        const db = openDatabase(join(dir.path, 'sealed.db'));
        const box = new SecretBox(randomBytes(32));
        const store = new MessageStore(db, () => box);
        let t = process.hrtime.bigint();
        db.transaction(() => {
          for (let i = 0; i < n; i++)
            store.put(newMessageId(), 'inbox', i, true, {
              from: 'alice',
              to: ['bob'],
              subject: `Subject ${i}`,
              body: sampleBody(i),
              level: 'L3',
            });
        })();
        sealedRates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
        db.close();

        const plain = new Database(join(dir.path, 'plain.db'));
        plain.pragma('journal_mode = WAL');
        plain.pragma('synchronous = NORMAL');
        plain.exec('CREATE TABLE messages (id TEXT PRIMARY KEY, folder TEXT, date INTEGER, unread INTEGER, body BLOB)');
        const insert = plain.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?)');
        t = process.hrtime.bigint();
        plain.transaction(() => {
          for (let i = 0; i < n; i++)
            insert.run(
              newMessageId(),
              'inbox',
              i,
              1,
              Buffer.from(JSON.stringify({ from: 'alice', to: ['bob'], subject: `Subject ${i}`, body: sampleBody(i), level: 'L3' })),
            );
        })();
        plainRates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
        plain.close();
      } finally {
        dir.remove();
      }
    }
    const sealed = median(sealedRates);
    const plain = median(plainRates);
    ctx.log(`${n} messages x ${rounds} rounds`);
    return [
      {
        name: 'store: sealed message inserts',
        value: sealed,
        unit: 'msg/s',
        reference_name: 'plain SQLite inserts, same rows',
        reference_value: plain,
        ratio: sealed / plain,
        notes: `median of ${rounds}, ${n} rows each, ~2 KB bodies`,
      },
    ];
  },
};

export default suite;
