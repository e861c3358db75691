// `qmail accounts` as real processes against a real Dovecot: add (password from the
// environment, a custom CA file), list --json without secrets, sync --json with per-folder
// counts and seconds, a failing test naming the stage; send/inbox --via and read of a
// legacy message through Postfix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startDovecot, startPostfix, testMessage, type Dovecot, type Postfix } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const run = promisify(execFile);
const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const USER = { user: 'carol@c.localhost', password: 'carol password' };
const tmp = tempDir('qmail-legacy-cli-');
const profile = join(tmp.path, 'profile');
let dovecot: Dovecot;
let postfix: Postfix;
let closedPort: number;

async function cli(args: string[], extra: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [qmail, ...args], {
      env: { ...process.env, QMAIL_PASSPHRASE: 'legacy cli passphrase', ...extra },
      timeout: 60_000,
    });
    return { stdout: r.stdout.trim(), stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout.trim(), stderr: err.stderr, code: err.code };
  }
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [USER] });
  closedPort = await freePort();
  postfix = await startPostfix(dovecot, ['c.localhost']);
  dovecot.fillMaildir(
    USER.user,
    Array.from({ length: 120 }, (_, i) => testMessage({ subject: `cli ${i}` })),
  );
  dovecot.fillMaildir(USER.user, [testMessage({ subject: 'kept' })], 'Archive', true);
});

afterAll(async () => {
  await postfix?.stop();
  await dovecot?.stop();
  tmp.remove();
});

describe('qmail accounts', () => {
  it('add, list, sync and test through the CLI', async () => {
    const add = await cli(
      [
        'accounts',
        'add',
        '--profile',
        profile,
        '--name',
        'work',
        '--imap',
        `127.0.0.1:${dovecot.ports.imap}`,
        '--smtp',
        `127.0.0.1:${closedPort}`,
        '--user',
        USER.user,
        '--tls',
        'starttls',
        '--ca',
        dovecot.tls.caFile,
        '--no-test',
        '--json',
      ],
      { QMAIL_ACCOUNT_PASSWORD: USER.password },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'work', incoming: { kind: 'imap', tls: 'starttls', hasCa: true } });

    const noPassword = await cli([
      'accounts',
      'add',
      '--profile',
      profile,
      '--name',
      'x',
      '--imap',
      '127.0.0.1:1',
      '--smtp',
      '127.0.0.1:1',
      '--user',
      'u',
    ]);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toMatch(/QMAIL_ACCOUNT_PASSWORD/);

    const list = await cli(['accounts', 'list', '--profile', profile, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'work', email: USER.user })]);
    expect(list.stdout).not.toContain(USER.password);
    expect(list.stdout).not.toContain('BEGIN CERTIFICATE');

    const sync = await cli(['accounts', 'sync', 'work', '--profile', profile, '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    const r = JSON.parse(sync.stdout) as { seconds: number; folders: { path: string; total: number; added: number; seconds: number }[] };
    expect(r.folders.find((f) => f.path === 'INBOX')).toMatchObject({ total: 120, added: 120 });
    expect(r.folders.find((f) => f.path === 'Archive')).toMatchObject({ total: 1 });
    for (const f of r.folders) expect(f.seconds).toBeGreaterThanOrEqual(0);
    expect(r.seconds).toBeGreaterThan(0);

    // No SMTP server listens on the port given: the test names SMTP and TCP as what failed.
    const test = await cli(['accounts', 'test', 'work', '--profile', profile, '--json']);
    expect(test.code).toBe(2);
    expect(JSON.parse(test.stdout)).toMatchObject({ ok: false, server: 'smtp', stage: 'tcp' });

    // Plain email through a legacy account: send --via, inbox --via (synced first), read.
    const add2 = await cli(
      [
        'accounts',
        'add',
        '--profile',
        profile,
        '--name',
        'mailer',
        '--imap',
        `127.0.0.1:${dovecot.ports.imaps}`,
        '--smtp',
        `127.0.0.1:${postfix.port}`,
        '--smtp-tls',
        'starttls',
        '--user',
        USER.user,
        '--ca',
        dovecot.tls.caFile,
      ],
      { QMAIL_ACCOUNT_PASSWORD: USER.password },
    );
    expect(add2.code, add2.stderr).toBe(0);
    const sent = await cli([
      'send',
      '--profile',
      profile,
      '--via',
      'mailer',
      '--to',
      USER.user,
      '--subject',
      'via the cli',
      '--body',
      'hello from a script',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^<[^>]+@c\.localhost>$/);
    let listed: { id: string; subject: string; messageId?: string }[] = [];
    for (let i = 0; i < 10 && !listed.some((m) => m.messageId === sent.stdout); i++) {
      const inbox = await cli(['inbox', '--profile', profile, '--via', 'mailer', '--json']);
      expect(inbox.code, inbox.stderr).toBe(0);
      listed = JSON.parse(inbox.stdout) as typeof listed;
    }
    const mine = listed.find((m) => m.messageId === sent.stdout)!;
    expect(mine.subject).toBe('via the cli');
    const read = await cli(['read', mine.id, '--profile', profile, '--json']);
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({
      from: USER.user,
      subject: 'via the cli',
      text: expect.stringContaining('hello from a script'),
    });

    // Nothing naming the account is readable in the profile's database.
    const db = readFileSync(join(profile, 'qmail.db'));
    expect(db.includes(Buffer.from(USER.password))).toBe(false);
    expect(db.includes(Buffer.from(USER.user))).toBe(false);
  }, 120_000);
});
