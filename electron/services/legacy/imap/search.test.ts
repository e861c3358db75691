// Server search's pieces without a server: the words sent (hostile input bounded and
// stripped of what could become IMAP syntax), the query object imapflow compiles, and the
// folder loop over a fake client (UIDVALIDITY checked, the lock always released, no command
// after the search was stopped, the server's UIDs bounded).
import { describe, expect, it } from 'vitest';
import {
  MAX_TERMS,
  MAX_TERM_CHARS,
  MAX_UIDS,
  searchFolders,
  serverTerms,
  textQuery,
  type FolderMatch,
  type SearchClient,
} from './search.js';

describe('serverTerms', () => {
  it('splits at whitespace, drops duplicates (any case) and keeps punctuation for the server to match', () => {
    expect(serverTerms('  Budget  budget  "q3" (draft) ')).toEqual(['Budget', '"q3"', '(draft)']);
  });

  it('drops control characters: no CR LF can reach the command line', () => {
    const t = serverTerms('a\r\nTAG UID STORE 1:* +FLAGS (\\Deleted)\u0000b\u2028c');
    expect(['\r', '\n', '\u0000', '\u2028'].some((ch) => t.join(' ').includes(ch))).toBe(false);
    expect(t[0]).toBe('a');
    // Each word goes as one quoted string (or literal): the would-be command is only words to find.
    expect(t).toEqual(['a', 'TAG', 'UID', 'STORE', '1:*', '+FLAGS', '(\\Deleted)', 'b']);
  });

  it('drops a leading backslash (imapflow would send \\word bare, as a flag)', () => {
    expect(serverTerms('\\Seen \\\\x y\\z')).toEqual(['Seen', 'x', 'y\\z']);
  });

  it('bounds a very long query: at most MAX_TERMS words of MAX_TERM_CHARS code points', () => {
    const long = serverTerms(`${'x'.repeat(100_000)} ${Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ')}`);
    expect(long).toHaveLength(MAX_TERMS);
    expect(long[0]).toHaveLength(MAX_TERM_CHARS);
    const emoji = serverTerms('😀'.repeat(200))[0]!;
    expect([...emoji]).toHaveLength(MAX_TERM_CHARS);
    // Cut at code points: no lone surrogate.
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(emoji)).toBe(false);
    expect(serverTerms(' \t\r\n ')).toEqual([]);
  });
});

describe('textQuery', () => {
  it('one TEXT key per word, the further words under a double NOT (the same set)', () => {
    expect(textQuery(['a'])).toEqual({ text: 'a' });
    expect(textQuery(['a', 'b', 'c'])).toEqual({ text: 'a', not: { not: { text: 'b', not: { not: { text: 'c' } } } } });
    expect(() => textQuery([])).toThrow();
  });
});

function fakeClient(folders: Record<string, { uidValidity: number; uids: unknown }>, log: string[]) {
  let selected: string | undefined;
  let locked = 0;
  const c = {
    get mailbox() {
      return selected
        ? ({ path: selected, uidValidity: BigInt(folders[selected]!.uidValidity) } as unknown as SearchClient['mailbox'])
        : false;
    },
    getMailboxLock: async (path: string) => {
      log.push(`lock ${path}`);
      locked++;
      selected = path;
      return {
        path,
        release: () => {
          locked--;
          log.push(`release ${path}`);
        },
      };
    },
    search: async (q: unknown, o: unknown) => {
      log.push(`search ${selected} ${JSON.stringify(q)} ${JSON.stringify(o)}`);
      const u = folders[selected!]!.uids;
      if (u instanceof Error) throw u;
      return u;
    },
  } as unknown as SearchClient;
  return { c, locked: () => locked };
}

describe('searchFolders', () => {
  it('searches each folder under its lock; a changed UIDVALIDITY or a refused search adds nothing', async () => {
    const log: string[] = [];
    const { c, locked } = fakeClient(
      {
        INBOX: { uidValidity: 7, uids: [3, 9, 1] },
        Sent: { uidValidity: 99, uids: [5] },
        Archive: { uidValidity: 4, uids: false },
      },
      log,
    );
    const into: FolderMatch[] = [];
    await searchFolders(
      c,
      [
        { folderId: 'i', path: 'INBOX', uidvalidity: 7 },
        { folderId: 's', path: 'Sent', uidvalidity: 8 },
        { folderId: 'a', path: 'Archive', uidvalidity: 4 },
        { folderId: 'n', path: 'New', uidvalidity: null },
      ],
      ['word'],
      new AbortController().signal,
      into,
    );
    expect(into).toEqual([{ folderId: 'i', uids: [9, 3, 1] }]);
    expect(log).toEqual([
      'lock INBOX',
      'search INBOX {"text":"word"} {"uid":true}',
      'release INBOX',
      'lock Sent',
      'release Sent',
      'lock Archive',
      'search Archive {"text":"word"} {"uid":true}',
      'release Archive',
    ]);
    expect(locked()).toBe(0);
  });

  it('keeps only valid UIDs, the newest MAX_UIDS of a huge answer', async () => {
    const many = Array.from({ length: MAX_UIDS + 10 }, (_, i) => i + 1);
    const { c } = fakeClient({ INBOX: { uidValidity: 1, uids: [0, -3, 2.5, Number.NaN, 2 ** 60, ...many] } }, []);
    const into: FolderMatch[] = [];
    await searchFolders(c, [{ folderId: 'i', path: 'INBOX', uidvalidity: 1 }], ['x'], new AbortController().signal, into);
    expect(into[0]!.uids).toHaveLength(MAX_UIDS);
    expect(into[0]!.uids[0]).toBe(MAX_UIDS + 10);
    expect(into[0]!.uids.every((u) => Number.isSafeInteger(u) && u > 0)).toBe(true);
  });

  it('sends nothing more once stopped, and releases the lock when the search throws', async () => {
    const log: string[] = [];
    const stop = new AbortController();
    const { c, locked } = fakeClient({ INBOX: { uidValidity: 1, uids: [1] }, Sent: { uidValidity: 1, uids: [2] } }, log);
    const into: FolderMatch[] = [];
    const targets = [
      { folderId: 'i', path: 'INBOX', uidvalidity: 1 },
      { folderId: 's', path: 'Sent', uidvalidity: 1 },
    ];
    const orig = c.search.bind(c);
    (c as { search: unknown }).search = async (q: never, o: never) => {
      const r = await orig(q, o);
      stop.abort();
      return r;
    };
    await searchFolders(c, targets, ['x'], stop.signal, into);
    expect(into).toEqual([{ folderId: 'i', uids: [1] }]);
    expect(log.filter((l) => l.startsWith('search'))).toHaveLength(1);
    expect(locked()).toBe(0);

    const failing = fakeClient({ INBOX: { uidValidity: 1, uids: new Error('connection closed') } }, []);
    await expect(searchFolders(failing.c, targets.slice(0, 1), ['x'], new AbortController().signal, [])).rejects.toThrow(
      'connection closed',
    );
    expect(failing.locked()).toBe(0);
  });
});
