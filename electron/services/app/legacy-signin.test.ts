// The window's side of a mail account's browser sign-in, through the contract handlers: start
// (the provider's page, PKCE S256, a loopback redirect), poll, done with the account added and
// its tokens sealed (never in an answer); cancel closes the loopback listener; presets without
// a client id are refused; the custom CA check and where the CA goes.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requests, type RequestName } from '../../../shared/ipc/contract.js';
import { openDatabase, type Db } from '../../store/database.js';
import { SecretBox } from '../../store/secret-box.js';
import { makeTls } from '../../../tests/support/mailservers.js';
import { tempDir } from '../../../tests/support/tmp.js';
import { LegacyService } from '../legacy/service.js';
import type { MailEngine } from '../mail/engine.js';
import type { ImageSenders } from '../../store/image-senders.js';
import { legacyHandlers } from './legacy.js';
import { SignIns, checkCaPem, oauthClientsFromEnv } from './legacy-signin.js';

let oauth: OAuth2Server;
let dir: { path: string; remove: () => void };
let caPem: string;
const opened: string[] = [];

beforeAll(async () => {
  oauth = new OAuth2Server();
  await oauth.issuer.keys.generate('RS256');
  await oauth.start(0, '127.0.0.1');
  dir = tempDir();
  caPem = makeTls(dir.path).caPem;
});
afterAll(async () => {
  await oauth?.stop();
  dir?.remove();
});

let open: { db: Db; legacy: LegacyService; signIns: SignIns } | null = null;
afterEach(() => {
  open?.signIns.close();
  open?.db.close();
  open = null;
});

/** Handlers over a fresh profile; each call checked against the contract both ways, as the dispatcher does. */
function setup(clients: Parameters<SignIns['attach']>[0]['clients'] = {}) {
  const db = openDatabase(join(dir.path, `${randomBytes(6).toString('hex')}.db`));
  const box = new SecretBox(randomBytes(32));
  const signIns = new SignIns();
  const legacy = new LegacyService(db, () => box, { openBrowser: (u) => signIns.openBrowser(u) });
  signIns.attach({ legacy, clients, openBrowser: (u) => void opened.push(u) });
  open = { db, legacy, signIns };
  const h = legacyHandlers({
    legacy,
    mail: {} as MailEngine,
    imageSenders: {} as ImageSenders,
    changed: () => undefined,
    signIns,
  }) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
  async function call<K extends RequestName>(name: K, input: unknown) {
    const out = await h[name]!(requests[name].input.parse(input));
    return requests[name].output.parse(out) as never;
  }
  return { call, legacy, db };
}

const account = {
  name: 'Lab',
  preset: 'generic',
  email: 'ada@a.localhost',
  user: 'ada@a.localhost',
  incoming: { kind: 'imap', host: '127.0.0.1', port: 993, tls: 'implicit' },
  smtp: { host: '127.0.0.1', port: 465, tls: 'implicit' },
} as const;
const endpoints = () => ({
  authorizationUrl: `${oauth.issuer.url}/authorize`,
  tokenUrl: `${oauth.issuer.url}/token`,
  clientId: 'qmail-desktop',
  scope: 'mail',
});

/** Plays the user in the browser: the provider's page redirects straight back. */
async function consent(url: string): Promise<void> {
  const r = await fetch(url, { redirect: 'manual' });
  const back = r.headers.get('location');
  if (!back) throw new Error(`provider answered ${r.status} with no redirect`);
  await (await fetch(back)).text();
}

async function until<T extends { state: string }>(poll: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const s = await poll();
    if (s.state !== 'waiting') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the sign-in never ended');
}

describe('browser sign-in from the window (OAuth2, RFC 8252)', () => {
  it('starts with the provider page (PKCE S256, loopback redirect), and once the browser comes back the account is added with its tokens sealed', async () => {
    const { call, legacy } = setup();
    const started: { id: string; state: string; url: string } = await call('accounts.signIn', {
      account: { ...account, oauth: endpoints(), ca: caPem },
    });
    expect(started.state).toBe('waiting');
    const u = new URL(started.url);
    expect(u.origin + u.pathname).toBe(`${oauth.issuer.url}/authorize`);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(new URL(u.searchParams.get('redirect_uri')!).hostname).toBe('127.0.0.1');
    // The system browser was asked to open the same page.
    expect(opened.at(-1)).toBe(started.url);
    expect(((await call('accounts.signInStatus', { id: started.id })) as { state: string }).state).toBe('waiting');

    await consent(started.url);
    const done: { state: string; account?: { name: string; authKind: string; incoming: { hasCa: boolean }; smtp: { hasCa: boolean } } } =
      await until(() => call('accounts.signInStatus', { id: started.id }));
    expect(done.state).toBe('done');
    expect(done.account).toMatchObject({ name: 'Lab', authKind: 'oauth2', incoming: { hasCa: true }, smtp: { hasCa: true } });
    // The tokens are in the vault, not in anything the window got.
    const id = legacy.listAccounts()[0]!.id;
    const secret = legacy.store.secret(id) as { kind: string; accessToken: string; refreshToken?: string };
    expect(secret.kind).toBe('oauth2');
    expect(secret.accessToken.length).toBeGreaterThan(20);
    const seen = JSON.stringify([started, done, await call('accounts.list', {})]);
    expect(seen).not.toContain(secret.accessToken);
    if (secret.refreshToken) expect(seen).not.toContain(secret.refreshToken);
  });

  it('cancel ends the wait and closes the loopback listener; a second start replaces a waiting one', async () => {
    const { call, legacy } = setup();
    const first: { id: string; url: string } = await call('accounts.signIn', { account: { ...account, oauth: endpoints() } });
    const second: { id: string; url: string } = await call('accounts.signIn', { account: { ...account, oauth: endpoints() } });
    expect(((await call('accounts.signInStatus', { id: first.id })) as { state: string }).state).toBe('cancelled');
    const redirect = new URL(new URL(second.url).searchParams.get('redirect_uri')!);
    expect(((await call('accounts.signInCancel', { id: second.id })) as { state: string }).state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${redirect.origin}/callback?code=x&state=y`)).rejects.toThrow();
    expect(legacy.listAccounts()).toEqual([]);
  });

  it('a refused consent is a failed sign-in with a sentence; nothing is added', async () => {
    const { call, legacy } = setup();
    const s: { id: string; url: string } = await call('accounts.signIn', { account: { ...account, oauth: endpoints() } });
    const u = new URL(s.url);
    const redirect = u.searchParams.get('redirect_uri')!;
    await (await fetch(`${redirect}?error=access_denied&state=${u.searchParams.get('state')}`)).text();
    const end: { state: string; error?: { code: string; message: string } } = await until(() =>
      call('accounts.signInStatus', { id: s.id }),
    );
    expect(end.state).toBe('failed');
    expect(end.error).toEqual({ code: 'auth', message: expect.stringContaining('access_denied') });
    expect(legacy.listAccounts()).toEqual([]);
  });

  it('Gmail and Outlook sign in only where a client id is configured; generic needs its endpoints', async () => {
    const none = setup();
    expect(await none.call('accounts.oauthPresets', {})).toEqual({ presets: [] });
    await expect(none.call('accounts.signIn', { account: { ...account, preset: 'gmail' } })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('Google'),
    });
    await expect(none.call('accounts.signIn', { account })).rejects.toMatchObject({ code: 'invalid_input' });
    open!.signIns.close();
    open!.db.close();
    const some = setup({ gmail: { clientId: 'id.apps.googleusercontent.com' } });
    expect(await some.call('accounts.oauthPresets', {})).toEqual({ presets: ['gmail'] });
    const s: { url: string } = await some.call('accounts.signIn', { account: { ...account, preset: 'gmail' } });
    const u = new URL(s.url);
    expect(u.host).toBe('accounts.google.com');
    expect(u.searchParams.get('client_id')).toBe('id.apps.googleusercontent.com');
    expect(u.searchParams.get('scope')).toBe('https://mail.google.com/');
    expect(oauthClientsFromEnv({ QMAIL_OAUTH_OUTLOOK_CLIENT_ID: ' abc ', QMAIL_OAUTH_GMAIL_CLIENT_ID: '' })).toEqual({
      outlook: { clientId: 'abc' },
    });
  });
});

describe('custom CA', () => {
  it('reads a PEM CA and refuses what is not one, saying why', async () => {
    const { call } = setup();
    const r: { certificates: { subject: string; ca: boolean }[] } = await call('accounts.checkCa', { pem: caPem });
    expect(r.certificates).toHaveLength(1);
    expect(r.certificates[0]!.ca).toBe(true);
    for (const [pem, says] of [
      ['', 'paste a PEM'],
      ['hello', 'no PEM certificate'],
      ['-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', 'private key'],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'damaged'],
    ] as const)
      await expect(call('accounts.checkCa', { pem })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining(says),
      });
    expect(() => checkCaPem(caPem, Date.parse('2200-01-01'))).toThrow(/expired/);
  });

  it('an account saved with a CA keeps it on edit when the field is left out, and drops it for an empty one', async () => {
    const { call } = setup();
    const input = { ...account, password: 'pw', ca: caPem };
    const a: { id: string; incoming: { hasCa: boolean } } = await call('accounts.add', { account: input });
    expect(a.incoming.hasCa).toBe(true);
    const { ca: _ca, password: _pw, ...noCa } = input;
    const kept: { incoming: { hasCa: boolean }; smtp: { hasCa: boolean } } = await call('accounts.edit', {
      id: a.id,
      account: { ...noCa, name: 'Lab 2' },
    });
    expect([kept.incoming.hasCa, kept.smtp.hasCa]).toEqual([true, true]);
    const dropped: { incoming: { hasCa: boolean } } = await call('accounts.edit', { id: a.id, account: { ...noCa, ca: '' } });
    expect(dropped.incoming.hasCa).toBe(false);
    await expect(call('accounts.add', { account: { ...input, name: 'Bad', ca: 'not a pem' } })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
