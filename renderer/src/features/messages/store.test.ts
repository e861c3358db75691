import { describe, expect, it } from 'vitest';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import { createMessagesStore, PAGE_SIZE, rowAt, visibleCount } from './store.js';

function unlockedWith(n: number) {
  return createFakeRuntime({
    vault: { state: 'unlocked', passphrase: 'x' },
    messages: Array.from({ length: n }, (_, i) => fakeMessage('inbox', i)),
  });
}

describe('messages store', () => {
  it('loads the first page only, and further pages as rows come into view', async () => {
    const rt = unlockedWith(PAGE_SIZE * 2 + 50);
    const store = createMessagesStore(rt);
    await store.getState().load('inbox');
    const s = store.getState();
    expect(s.total).toBe(450);
    expect([...s.pages.keys()]).toEqual([0]);
    expect(rowAt(s, 0)?.subject).toBe('Subject 0');
    expect(rowAt(s, 300)).toBeUndefined();

    await store.getState().ensureRange(290, 310);
    expect([...store.getState().pages.keys()].sort()).toEqual([0, 1]);
    expect(rowAt(store.getState(), 300)?.subject).toBe('Subject 300');
    const listCalls = rt.calls.filter((c) => c.channel === 'mail.list');
    expect(listCalls.map((c) => c.input)).toEqual([
      { folder: 'inbox', offset: 0, limit: PAGE_SIZE },
      { folder: 'inbox', offset: PAGE_SIZE, limit: PAGE_SIZE },
    ]);
    // Asking again for loaded rows costs nothing.
    await store.getState().ensureRange(0, 399);
    expect(rt.calls.filter((c) => c.channel === 'mail.list')).toHaveLength(2);
  });

  it('ignores a slow answer for a folder that is no longer shown', async () => {
    const rt = unlockedWith(3);
    rt.messages.push(fakeMessage('drafts', 9, { subject: 'A draft' }));
    const store = createMessagesStore(rt);
    const held = rt.hold('mail.list');
    const first = store.getState().load('inbox');
    await store.getState().load('drafts');
    held.release(); // the inbox answer arrives last
    await first;
    expect(store.getState().folder).toBe('drafts');
    expect(store.getState().total).toBe(1);
    expect(rowAt(store.getState(), 0)?.subject).toBe('A draft');
  });

  it('keeps the cursor inside the list', async () => {
    const store = createMessagesStore(unlockedWith(3));
    await store.getState().load('inbox');
    store.getState().moveCursor(1);
    store.getState().moveCursor(5);
    expect(store.getState().cursor).toBe(2);
    store.getState().moveCursor(-10);
    expect(store.getState().cursor).toBe(0);
  });

  it('searches the folder through the engine: text beyond the loaded rows, with the ranges to highlight', async () => {
    const rt = unlockedWith(5);
    rt.messages[3]!.subject = 'Stripe report';
    rt.messages[1]!.body = 'The numbers for the stripes are in.';
    rt.messages.push(fakeMessage('sent', 7, { subject: 'Stripes elsewhere' }));
    const store = createMessagesStore(rt);
    await store.getState().load('inbox');
    store.getState().setQuery('  STRIPE ');
    expect(store.getState().searching).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    const s = store.getState();
    expect(s.searching).toBe(false);
    expect(rt.calls.filter((c) => c.channel === 'mail.search').map((c) => c.input)).toEqual([
      { query: 'STRIPE', folder: 'inbox', limit: 500 },
    ]);
    expect(visibleCount(s)).toBe(2);
    // Only the body matched this one: the preview shows the text and where the word is.
    const byBody = rowAt(s, 0)!;
    expect(byBody.matchedIn).toEqual(['body']);
    const [a, b] = byBody.highlights!.preview[0]!;
    expect(byBody.preview.slice(a, b)).toBe('stripe');
    expect(rowAt(s, 1)?.highlights?.subject).toEqual([[0, 6]]);
    // Same words, other spacing: not asked again. Cleared: the whole folder again.
    store.getState().setQuery('STRIPE');
    expect(rt.calls.filter((c) => c.channel === 'mail.search')).toHaveLength(1);
    store.getState().setQuery('');
    expect(visibleCount(store.getState())).toBe(5);
  });

  it('keeps only the answer to the latest query', async () => {
    const rt = unlockedWith(3);
    rt.messages[0]!.subject = 'alpha';
    rt.messages[1]!.subject = 'alphabet';
    const store = createMessagesStore(rt);
    await store.getState().load('inbox');
    const held = rt.hold('mail.search');
    store.getState().setQuery('alpha');
    store.getState().setQuery('alphab');
    held.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().filtered?.map((m) => m.subject)).toEqual(['alphabet']);
  });

  it('shows a readable error and recovers on the next load', async () => {
    const rt = unlockedWith(2);
    const store = createMessagesStore(rt);
    rt.vault.state = 'locked';
    await store.getState().load('inbox');
    expect(store.getState().error).toBe('locked');
    expect(store.getState().loading).toBe(false);
    rt.vault.state = 'unlocked';
    await store.getState().load('inbox');
    expect(store.getState().error).toBeNull();
    expect(store.getState().total).toBe(2);
  });

  it('narrows the list and the search to one source, and back to all from the top', async () => {
    const account = 'a'.repeat(32);
    const rt = unlockedWith(3);
    rt.messages.push(fakeMessage('inbox', 1.5, { subject: 'Email', level: 'plain', origin: { accountId: account, account: 'Work' } }));
    const store = createMessagesStore(rt);
    await store.getState().load('inbox');
    expect(store.getState().total).toBe(4);
    store.getState().setCursor(3);
    await store.getState().setSource(account);
    expect(store.getState().cursor).toBe(0);
    expect(rowAt(store.getState(), 0)?.subject).toBe('Email');
    expect(store.getState().total).toBe(1);
    await store.getState().setSource('qmail');
    expect(store.getState().total).toBe(3);
    store.getState().setQuery('subject');
    await new Promise((r) => setTimeout(r, 0));
    expect(rt.calls.filter((c) => c.channel === 'mail.search').map((c) => c.input)).toEqual([
      { query: 'subject', folder: 'inbox', limit: 500, source: 'qmail' },
    ]);
    await store.getState().setSource(undefined);
    expect(store.getState().total).toBe(4);
    expect(rt.calls.filter((c) => c.channel === 'mail.list').map((c) => c.input)).toEqual([
      { folder: 'inbox', offset: 0, limit: PAGE_SIZE },
      { folder: 'inbox', offset: 0, limit: PAGE_SIZE, source: account },
      { folder: 'inbox', offset: 0, limit: PAGE_SIZE, source: 'qmail' },
      { folder: 'inbox', offset: 0, limit: PAGE_SIZE },
    ]);
  });

  it("then asks the accounts' servers: their further hits join the list by date, marked, the cursor staying on its message", async () => {
    const account = 'a'.repeat(32);
    const rt = unlockedWith(3);
    rt.messages[0]!.subject = 'pelican (newest)';
    rt.messages[2]!.subject = 'pelican (oldest)';
    const origin = { accountId: account, account: 'Work' };
    rt.serverMail.push(fakeMessage('inbox', 1, { subject: 'Numbers', body: 'the pelican count', level: 'plain', origin }));
    rt.serverMail.push(fakeMessage('inbox', 1, { subject: 'Elsewhere', body: 'pelican', folder: 'sent', level: 'plain', origin }));
    rt.serverOutcomes.push({ accountId: 'b'.repeat(32), account: 'Home', outcome: 'timeout' });
    const store = createMessagesStore(rt, { serverDelayMs: 0 });
    await store.getState().load('inbox');
    const held = rt.hold('mail.searchServer');
    store.getState().setQuery('pelican');
    for (let i = 0; i < 50 && !rt.calls.some((c) => c.channel === 'mail.searchServer'); i++) await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().serverSearching).toBe(true);
    store.getState().setCursor(1); // on "pelican (oldest)"
    held.release();
    for (let i = 0; i < 50 && store.getState().serverSearching; i++) await new Promise((r) => setTimeout(r, 0));
    const s = store.getState();
    expect(rt.calls.filter((c) => c.channel === 'mail.searchServer').map((c) => c.input)).toEqual([
      { query: 'pelican', folder: 'inbox', limit: 500 },
    ]);
    expect(s.filtered?.map((r) => [r.subject, r.onServer ?? false])).toEqual([
      ['pelican (newest)', false],
      ['Numbers', true],
      ['pelican (oldest)', false],
    ]);
    expect(s.cursor).toBe(2);
    expect(s.serverFound).toBe(1);
    expect(s.serverMissing).toEqual(['Home']);
    // Cleared: nothing of the servers' answer stays.
    store.getState().setQuery('');
    expect(store.getState().serverFound).toBe(0);
    expect(store.getState().filtered).toBeNull();
  });
});
