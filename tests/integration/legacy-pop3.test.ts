// POP3 download mode against Dovecot's POP3 (STARTTLS and implicit TLS), "leave on server"
// on and off, and the client's refusal of hostile answers (a scripted server on loopback).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import { MAX_LINE, Pop3Client } from '../../electron/services/legacy/pop3/client.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { startDovecot, testMessage, type Dovecot } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const KEEP = { user: 'keep@a.localhost', password: 'keep-pw' };
const TAKE = { user: 'take@a.localhost', password: 'take-pw' };

let dovecot: Dovecot;
let dir: { path: string; remove: () => void };
let db: Db;
let s: LegacyService;

const account = (
  name: string,
  u: { user: string; password: string },
  leaveOnServer: boolean,
  tls: 'starttls' | 'implicit',
): LegacyAccountInput => ({
  name,
  preset: 'generic',
  email: u.user,
  user: u.user,
  incoming: {
    kind: 'pop3',
    host: '127.0.0.1',
    port: tls === 'implicit' ? dovecot.ports.pop3s : dovecot.ports.pop3,
    tls,
    ca: dovecot.tls.caPem,
  },
  smtp: { host: '127.0.0.1', port: 1, tls: 'none' },
  auth: { kind: 'password', password: u.password },
  leaveOnServer,
});

async function onServer(u: { user: string; password: string }): Promise<number> {
  const c = await Pop3Client.connect(
    { host: '127.0.0.1', port: dovecot.ports.pop3s, tls: 'implicit', ca: dovecot.tls.caPem },
    { user: u.user, pass: u.password },
  );
  const { count } = await c.stat();
  await c.quit();
  return count;
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [KEEP, TAKE] });
  for (const u of [KEEP, TAKE])
    for (let i = 0; i < 3; i++)
      await dovecot.deliver(
        u.user,
        testMessage({ from: 'Dana <dana@d.localhost>', to: u.user, subject: `pop ${i}`, body: `body ${i}\r\n.leading dot` }),
      );
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  const box = new SecretBox(randomBytes(32));
  s = new LegacyService(db, () => box, { retry: { attempts: 1, baseMs: 10 } });
});

afterAll(async () => {
  await s?.close();
  db?.close();
  await dovecot?.stop();
  dir?.remove();
});

describe('POP3 download mode', () => {
  it('leave on server: downloads each message once (by UIDL), keeps them on the server', async () => {
    await s.addAccount(account('keep', KEEP, true, 'starttls'));
    const r1 = await s.sync('keep');
    expect(r1.folders[0]).toMatchObject({ mode: 'pop3', added: 3, removed: 0, total: 3 });
    expect(await onServer(KEEP)).toBe(3);
    await dovecot.deliver(KEEP.user, testMessage({ subject: 'pop 3' }));
    const r2 = await s.sync('keep');
    expect(r2.folders[0]).toMatchObject({ added: 1, total: 4 });
    const items = s.list({ accountId: 'keep', folder: 'inbox', offset: 0, limit: 10 }).items;
    expect(items.map((m) => m.subject).sort()).toEqual(['pop 0', 'pop 1', 'pop 2', 'pop 3']);
    expect(items.find((m) => m.subject === 'pop 0')).toMatchObject({ from: 'dana@d.localhost', fromName: 'Dana', to: [KEEP.user] });
    const raw = Buffer.concat(await (await s.rawMessage(items.find((m) => m.subject === 'pop 1')!.id)).toArray());
    // Dot-stuffing undone: the body line starting with a dot comes back as written.
    expect(raw.toString()).toContain('body 1\r\n.leading dot');
    expect(await onServer(KEEP)).toBe(4);
  });

  it('without leave on server: downloads, then deletes on the server', async () => {
    await s.addAccount(account('take', TAKE, false, 'implicit'));
    const r = await s.sync('take');
    expect(r.folders[0]).toMatchObject({ added: 3, removed: 3, total: 3 });
    expect(await onServer(TAKE)).toBe(0);
    expect((await s.sync('take')).folders[0]).toMatchObject({ added: 0, total: 3 });
  });

  it('a wrong password is auth; a hostile server gets typed protocol errors, not hangs or crashes', async () => {
    await expect(
      Pop3Client.connect(
        { host: '127.0.0.1', port: dovecot.ports.pop3s, tls: 'implicit', ca: dovecot.tls.caPem },
        { user: KEEP.user, pass: 'wrong' },
      ),
    ).rejects.toMatchObject({ code: 'auth' });
    const scripts: Record<string, (line: string) => string | null> = {
      longLine: () => `+OK ${'x'.repeat(MAX_LINE + 10)}\r\n`,
      badUidl: (l) => (l === 'UIDL' ? '+OK\r\n1 has space\r\n.\r\n' : '+OK\r\n'),
      notPop: () => 'HTTP/1.1 200 OK\r\n',
    };
    for (const [name, answer] of Object.entries(scripts)) {
      const server: Server = createServer((sock) => {
        let buf = '';
        sock.write(name === 'longLine' || name === 'notPop' ? (answer('') ?? '') : '+OK ready\r\n');
        sock.on('data', (d) => {
          buf += d.toString();
          let i: number;
          while ((i = buf.indexOf('\r\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 2);
            sock.write(answer(line) ?? '');
          }
        });
        sock.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      try {
        const attempt = (async () => {
          const c = await Pop3Client.connect({ host: '127.0.0.1', port, tls: 'none' }, { user: 'u', pass: 'p' });
          await c.uidl();
        })();
        await expect(attempt, name).rejects.toMatchObject({ name: 'LegacyError', code: 'protocol' });
      } finally {
        server.close();
      }
    }
  });
});
