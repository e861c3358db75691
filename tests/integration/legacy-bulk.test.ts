// The initial sync's bulk connection (electron/services/legacy/imap/bulk.ts) against a real
// Dovecot (Debian's, from a temp config): it logs in over STARTTLS and implicit TLS with the
// account's CA, and for a mailbox of varied messages (encoded words, quoted names, groups,
// attachments by disposition and by name, RFC 2231 names, a forwarded message, no date, a bad
// date, many recipients) it stores exactly what the imapflow path stores; a wrong password is
// `auth`; several UID FETCHes in flight each get their own answers. When it does not open,
// or the parser refuses an answer mid-pass, the pass ends over imapflow with no loss and no
// duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../electron/store/database.js';
import { LegacyStore } from '../../electron/store/legacy.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { BulkImap } from '../../electron/services/legacy/imap/bulk.js';
import { fromImapflow, syncAccount, toNew } from '../../electron/services/legacy/imap/sync.js';
import type { ServerConfig } from '../../electron/services/legacy/types.js';
import { plainImapClient, startDovecot, testMessage, type Dovecot } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const USER = { user: 'bulk@a.localhost', password: 'p "w\\ord' };
let dovecot: Dovecot;

const mime = (headers: string[], body: string) => [...headers, '', body, ''].join('\r\n');
const MESSAGES = [
  testMessage({ subject: 'plain' }),
  mime(
    [
      'From: =?utf-8?B?w4lsb2lzZQ==?= <eloise@a.localhost>',
      'To: "Quoted, Name" <q@a.localhost>, undisclosed-recipients:;',
      'Cc: team: a@a.localhost, b@a.localhost;, c@a.localhost',
      'Subject: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_au_lait?= and more',
      'Date: Tue, 02 Jan 2024 10:00:00 +0100',
      'Message-ID: <m1@a.localhost>',
      'In-Reply-To: <m0@a.localhost>',
      'Content-Type: text/plain; charset=utf-8',
    ],
    'hello',
  ),
  mime(
    [
      'From: a@a.localhost',
      'To: b@a.localhost',
      'Subject: with attachment',
      'Date: not a date at all',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="X"',
    ],
    [
      '--X',
      'Content-Type: text/plain',
      '',
      'see attached',
      '--X',
      'Content-Type: application/pdf',
      "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--X--',
    ].join('\r\n'),
  ),
  mime(
    [
      'From: a@a.localhost',
      'To: b@a.localhost',
      'Subject: named part only',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="Y"',
    ],
    ['--Y', 'Content-Type: text/plain', '', 'x', '--Y', 'Content-Type: image/png; name="p.png"', '', 'x', '--Y--'].join('\r\n'),
  ),
  mime(
    ['From: a@a.localhost', 'To: b@a.localhost', 'Subject: forwarded', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="Z"'],
    [
      '--Z',
      'Content-Type: text/plain',
      '',
      'fwd',
      '--Z',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment',
      '',
      mime(
        ['From: inner@a.localhost', 'Subject: inner', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="W"'],
        ['--W', 'Content-Type: text/plain; name="inner.txt"', '', 'in', '--W--'].join('\r\n'),
      ),
      '--Z--',
    ].join('\r\n'),
  ),
  mime(
    [
      'From: nodate@a.localhost',
      `To: ${Array.from({ length: 60 }, (_, i) => `r${i}@a.localhost`).join(', ')}`,
      'Subject: "quoted subject"',
    ],
    'x',
  ),
  mime(['Subject: no from, no date'], 'x'),
];

beforeAll(async () => {
  dovecot = await startDovecot({ users: [USER] });
  dovecot.fillMaildir(USER.user, MESSAGES);
  dovecot.fillMaildir(USER.user, [testMessage({ subject: 'seen one' })], undefined, true);
  dovecot.fillMaildir(
    USER.user,
    Array.from({ length: 500 }, (_, i) => testMessage({ subject: `bulk ${i}` })),
  );
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
});

/**
 * A proxy to Dovecot that, once `after` bytes went to the client, slips an answer no IMAP
 * parser takes (a FETCH whose UID is a list) in at the next line break.
 */
async function spoilingProxy(after: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const server: Server = createServer((client) => {
    const up = createConnection({ host: '127.0.0.1', port: dovecot.ports.imap });
    let down = 0;
    let spoiled = false;
    const close = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    client.pipe(up);
    up.on('data', (d: Buffer) => {
      down += d.length;
      const nl = d.indexOf('\r\n');
      if (!spoiled && down >= after && nl >= 0) {
        spoiled = true;
        client.write(Buffer.concat([d.subarray(0, nl + 2), Buffer.from('* 1 FETCH (UID (1))\r\n'), d.subarray(nl + 2)]));
      } else client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

async function viaImapflow(from: number, to: number) {
  const c = await plainImapClient(dovecot, USER);
  try {
    await c.mailboxOpen('INBOX', { readOnly: true });
    const got = await c.fetchAll(
      `${from}:${to}`,
      { uid: true, flags: true, envelope: true, size: true, bodyStructure: true, internalDate: true },
      { uid: true },
    );
    return got.map((m) => toNew(fromImapflow(m))).sort((a, b) => a.uid - b.uid);
  } finally {
    await c.logout();
  }
}

describe('bulk connection', () => {
  const servers = (): [string, ServerConfig][] => [
    ['STARTTLS', { host: '127.0.0.1', port: dovecot.ports.imap, tls: 'starttls', ca: dovecot.tls.caPem }],
    ['implicit TLS', { host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem }],
    ['no TLS', { host: '127.0.0.1', port: dovecot.ports.imap, tls: 'none' }],
  ];

  it('logs in over each transport and stores exactly what the imapflow path stores', async () => {
    const want = await viaImapflow(1, MESSAGES.length + 1);
    expect(want).toHaveLength(MESSAGES.length + 1);
    // The mailbox exercises what it claims to.
    expect(want.filter((m) => m.envelope.hasAttachments).length).toBeGreaterThanOrEqual(2);
    expect(want.some((m) => m.envelope.subject.startsWith('café au lait'))).toBe(true);
    expect(want.some((m) => m.flags === 1)).toBe(true);
    for (const [, server] of servers()) {
      const b = await BulkImap.open(server, { user: USER.user, pass: USER.password });
      try {
        const box = await b.examine('INBOX');
        expect(box.exists).toBe(MESSAGES.length + 1 + 500);
        const got = (await b.fetchHeaders(1, MESSAGES.length + 1)).map(toNew).sort((x, y) => x.uid - y.uid);
        expect(got).toEqual(want);
      } finally {
        b.close();
      }
    }
  });

  it('keeps the answers of several FETCHes in flight apart', async () => {
    const b = await BulkImap.open(servers()[2]![1], { user: USER.user, pass: USER.password });
    try {
      await b.examine('INBOX');
      const ranges: [number, number][] = [
        [400, 508],
        [200, 399],
        [1, 199],
      ];
      const answers = await Promise.all(ranges.map(([f, t]) => b.fetchHeaders(f, t)));
      answers.forEach((got, i) => {
        const [f, t] = ranges[i]!;
        expect(got).toHaveLength(t - f + 1);
        expect(got.every((m) => m.uid >= f && m.uid <= t)).toBe(true);
      });
    } finally {
      b.close();
    }
  });

  it('names a refused login `auth`, and a missing folder fails the command', async () => {
    await expect(BulkImap.open(servers()[0]![1], { user: USER.user, pass: 'wrong' })).rejects.toMatchObject({ code: 'auth' });
    const b = await BulkImap.open(servers()[0]![1], { user: USER.user, pass: USER.password });
    try {
      await expect(b.examine('No such folder')).rejects.toThrow(/NO/);
    } finally {
      b.close();
    }
  });
});

describe('fallback to imapflow', () => {
  const TOTAL = MESSAGES.length + 1 + 500;

  async function pass(openBulk: () => Promise<BulkImap>) {
    const d = tempDir('qmail-bulk-db-');
    const db = openDatabase(join(d.path, 'qmail.db'));
    const box = new SecretBox(randomBytes(32));
    const store = new LegacyStore(db, () => box);
    store.putAccount('acc', {}, undefined, 1);
    const c = await plainImapClient(dovecot, USER);
    try {
      const [inbox] = await syncAccount(c, store, 'acc', { only: ['INBOX'], chunk: 100, openBulk });
      const folder = store.folders('acc').find((f) => f.path === 'INBOX')!;
      const uids = [...store.uidFlags(folder.id).keys()];
      return { inbox: inbox!, uids };
    } finally {
      await c.logout();
      db.close();
      d.remove();
    }
  }

  it('a bulk connection that does not open leaves the pass to imapflow', async () => {
    const { inbox, uids } = await pass(() => Promise.reject(new Error('no bulk connection')));
    expect(inbox).toMatchObject({ mode: 'initial', fetchedBy: 'client', total: TOTAL, added: TOTAL });
    expect(new Set(uids).size).toBe(TOTAL);
  });

  it('an answer the parser refuses mid-pass: the rest comes through imapflow, no loss, no duplicate', async () => {
    const proxy = await spoilingProxy(60_000);
    try {
      let opened = 0;
      const { inbox, uids } = await pass(() => {
        opened++;
        return BulkImap.open({ host: '127.0.0.1', port: proxy.port, tls: 'none' }, { user: USER.user, pass: USER.password });
      });
      expect(opened).toBe(1);
      expect(inbox).toMatchObject({ mode: 'initial', fetchedBy: 'client', total: TOTAL, added: TOTAL });
      expect(uids.sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    } finally {
      await proxy.stop();
    }
  });
});
