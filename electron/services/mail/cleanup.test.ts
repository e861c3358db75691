// What failed sends uploaded, without servers (finding 9): the uploads table's states and what
// the cleaner does when a server cannot be reached; the real deletes against real nodes are in
// tests/integration/attacks-junk-tells-failed-sends.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { UploadsTable } from '../../store/uploads.js';
import { UploadCleanup, MAX_DELETE_TRIES } from './cleanup.js';
import { ConnectionPool } from '../net/transport.js';
import { testContext, testIdentity } from './testing/context.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const obj = (nodeId: string, guid: string, fileType = 1) => ({ nodeId, guid, fileType });

describe('uploaded objects (finding 9)', () => {
  it('keeps what reached someone or was sent, and marks the rest for deletion once the message is given up', () => {
    const t = testContext();
    cleanups.push(t.close);
    const u = new UploadsTable(t.ctx.db);
    // A: attempt 1 reaches nobody, attempt 2 reaches a recipient, attempt 3 reaches nobody.
    u.begin('A', obj('n1', 'aa'));
    u.begin('A', obj('n2', 'aa', 0));
    u.attemptEnded('A', false);
    u.begin('A', obj('n1', 'bb'));
    u.attemptEnded('A', true);
    u.begin('A', obj('n1', 'cc'));
    u.attemptEnded('A', false);
    // B is sent: nothing of it is deleted.
    u.begin('B', obj('n1', 'dd'));
    u.forget('B');
    expect(u.count('B')).toBe(0);
    expect(u.due(t.clock.t, 10)).toEqual([]); // nothing is deleted before the message is given up
    expect(u.discard('A', t.clock.t)).toBe(3);
    expect(
      u
        .due(t.clock.t, 10)
        .map((r) => `${r.nodeId}/${r.guid}/${r.fileType}`)
        .sort(),
    ).toEqual(['n1/aa/1', 'n1/cc/1', 'n2/aa/0']);
  });

  it('after a crash, what an attempt left is kept for a queued message and deleted for one that is gone or failed', () => {
    const t = testContext();
    cleanups.push(t.close);
    const u = new UploadsTable(t.ctx.db);
    t.ctx.tables.outbox.insert(
      'queued',
      { to: [], cc: [], subject: '', body: '', attachments: [], level: 'L3', stripes: { k: 2, p: 1 } },
      t.clock.t,
    );
    u.begin('queued', obj('n1', 'aa'));
    u.begin('gone', obj('n1', 'bb'));
    expect(u.recover(t.clock.t)).toBe(1);
    expect(u.due(t.clock.t, 10).map((r) => r.outboxId)).toEqual(['gone']);
    // The queued message is given up later: its leftovers go too.
    u.discard('queued', t.clock.t);
    expect(u.due(t.clock.t, 10)).toHaveLength(2);
  });

  it('tries a server that does not answer a bounded number of times, then leaves the object to its retention', async () => {
    const me = testIdentity();
    me.servers = [{ nodeId: 'n1', host: '127.0.0.1', port: 1, raidaId: 0, an: '00'.repeat(16) }];
    const t = testContext({ me });
    cleanups.push(t.close);
    const pool = new ConnectionPool();
    cleanups.push(() => pool.closeAll());
    const timers: (() => void)[] = [];
    const cleaner = new UploadCleanup(t.ctx, new UploadsTable(t.ctx.db), pool, {
      baseMs: 10,
      schedule: (fn) => (timers.push(fn), () => {}),
    });
    cleaner.table.begin('A', obj('n1', 'aa'));
    cleaner.table.begin('A', obj('gone-node', 'aa'));
    cleaner.attemptEnded('A', false);
    cleaner.start();
    cleaner.discard('A');
    for (let i = 0; i < MAX_DELETE_TRIES + 2 && cleaner.table.count() > 0; i++) {
      t.clock.t += 60 * 60_000;
      timers.splice(0).forEach((fn) => fn());
      await cleaner.settle();
    }
    expect(cleaner.table.count()).toBe(0);
    await cleaner.stop();
  });
});
