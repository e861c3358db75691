// OAuth2 end to end: a local provider (oauth2-mock-server) issues the tokens, Dovecot checks
// every XOAUTH2 bearer through its oauth2 passdb (RFC 7662 introspection at that provider),
// and Postfix takes XOAUTH2 through Dovecot's SASL. The "browser" is a fetch that follows
// the provider's redirect to our loopback listener. Covers sign-in (PKCE S256, state),
// refresh before expiry, and a revoked grant shown as `oauth_revoked`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { openDatabase, type Db } from '../../electron/store/database.js';
import { SecretBox } from '../../electron/store/secret-box.js';
import { LegacyService } from '../../electron/services/legacy/service.js';
import { authorize, type OAuthProviderConfig } from '../../electron/services/legacy/oauth2.js';
import type { LegacyAccountInput } from '../../electron/services/legacy/types.js';
import { startDovecot, startPostfix, testMessage, type Dovecot, type Postfix } from '../support/mailservers.js';
import { tempDir } from '../support/tmp.js';

const ALICE = { user: 'alice@a.localhost', password: 'unused-password' };
const TTL_S = 300;

let oauth: OAuth2Server;
let introspectFront: Server;
let dovecot: Dovecot;
let postfix: Postfix;
let dir: { path: string; remove: () => void };
let db: Db;
let provider: OAuthProviderConfig;
let clock = 0;
/** Access tokens the provider issued and that are still good. */
const active = new Set<string>();
const revokedRefresh = new Set<string>();
const introspected: string[] = [];
const grants: string[] = [];
const authorizeUrls: URL[] = [];

/** Plays the system browser: the provider's page redirects straight back (the user said yes). */
async function browser(url: string): Promise<void> {
  authorizeUrls.push(new URL(url));
  const r = await fetch(url, { redirect: 'manual' });
  const back = r.headers.get('location');
  if (!back) throw new Error(`provider answered ${r.status} with no redirect`);
  const done = await fetch(back);
  await done.text();
}

beforeAll(async () => {
  oauth = new OAuth2Server();
  await oauth.issuer.keys.generate('RS256');
  await oauth.start(0, '127.0.0.1');
  const issuer = oauth.issuer.url!;
  // Real providers never hand out the same token twice; the mock's JWTs differ only by their
  // second-resolution times, so a refresh within the same second would repeat the old token.
  oauth.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    token.payload.jti = randomBytes(12).toString('base64url');
  });
  oauth.service.on(
    'beforeResponse',
    (res: { body: Record<string, unknown>; statusCode: number }, req: { body: Record<string, string> }) => {
      grants.push(req.body.grant_type ?? '');
      if (req.body.grant_type === 'refresh_token' && revokedRefresh.has(req.body.refresh_token ?? '')) {
        res.statusCode = 400;
        res.body = { error: 'invalid_grant', error_description: 'revoked' };
        return;
      }
      res.body.expires_in = TTL_S;
      active.add(String(res.body.access_token));
    },
  );
  oauth.service.on('beforeIntrospect', (res: { body: Record<string, unknown> }, req: { body: Record<string, string> }) => {
    const token = req.body.token ?? '';
    introspected.push(token);
    res.body = active.has(token) ? { active: true, username: ALICE.user } : { active: false };
  });
  // Dovecot posts the token as a form (RFC 7662); the mock's introspection endpoint reads JSON only.
  introspectFront = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      void fetch(`${issuer}/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      })
        .then((r) => r.text())
        .then((t) => res.writeHead(200, { 'content-type': 'application/json' }).end(t));
    });
  });
  await new Promise<void>((r) => introspectFront.listen(0, '127.0.0.1', () => r()));
  const front = `http://127.0.0.1:${(introspectFront.address() as { port: number }).port}/introspect`;
  dovecot = await startDovecot({ users: [ALICE], oauth2IntrospectionUrl: front });
  postfix = await startPostfix(dovecot, ['a.localhost']);
  await dovecot.deliver(ALICE.user, testMessage({ subject: 'for the bearer' }));
  dir = tempDir();
  db = openDatabase(join(dir.path, 'qmail.db'));
  provider = { authorizationUrl: `${issuer}/authorize`, tokenUrl: `${issuer}/token`, clientId: 'qmail-desktop', scope: 'mail' };
});

afterAll(async () => {
  db?.close();
  await postfix?.stop();
  await dovecot?.stop();
  await oauth?.stop();
  introspectFront?.close();
  dir?.remove();
});

describe('OAuth2 (RFC 8252) with XOAUTH2 checked by Dovecot and Postfix', () => {
  it('signs in through the loopback redirect with PKCE S256; a redirect with another state is refused', async () => {
    let forged = 0;
    const tokens = await authorize(provider, async (url) => {
      const u = new URL(url);
      const redirect = new URL(u.searchParams.get('redirect_uri')!);
      // A page racing the real answer with a code but the wrong state gets nothing.
      const bad = await fetch(`${redirect}?code=stolen&state=wrong`);
      forged = bad.status;
      await bad.text();
      await browser(url);
    });
    expect(forged).toBe(400);
    expect(tokens.accessToken).toMatch(/^ey/);
    expect(tokens.refreshToken).toBeTruthy();
    const u = authorizeUrls.at(-1)!;
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(u.searchParams.get('redirect_uri')!).hostname).toBe('127.0.0.1');
  });

  it('an OAuth2 account syncs and sends by XOAUTH2, refreshes before expiry, and a revoked grant is oauth_revoked', async () => {
    const box = new SecretBox(randomBytes(32));
    const s = new LegacyService(db, () => box, { openBrowser: browser, now: () => Date.now() + clock, retry: { attempts: 1, baseMs: 10 } });
    try {
      const input: LegacyAccountInput = {
        name: 'oauth',
        preset: 'generic',
        email: ALICE.user,
        user: ALICE.user,
        incoming: { kind: 'imap', host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ca: dovecot.tls.caPem },
        smtp: { host: '127.0.0.1', port: postfix.port, tls: 'starttls', ca: dovecot.tls.caPem },
        auth: { kind: 'oauth2', provider },
      };
      const view = await s.addAccount(input);
      expect(view.authKind).toBe('oauth2');
      expect(JSON.stringify(s.listAccounts())).not.toMatch(/ey[A-Za-z0-9_-]{20,}/);

      introspected.length = 0;
      const r = await s.sync('oauth');
      // The initial pass's bulk connection logged in by OAuth2 too (OAUTHBEARER or XOAUTH2).
      expect(r.folders.find((f) => f.path === 'INBOX')).toMatchObject({ total: 1, fetchedBy: 'bulk' });
      // Dovecot asked the provider about our bearer token: XOAUTH2 was checked by the server.
      expect(introspected.some((t) => active.has(t))).toBe(true);
      const sent = await s.send('oauth', { to: [ALICE.user], subject: 'sent by XOAUTH2', text: 'hi' });
      expect(sent.accepted).toEqual([ALICE.user]);

      // Near expiry: the next connection refreshes first, and the old token is dead at the provider.
      const before = new Set(active);
      active.clear();
      clock += (TTL_S - 30) * 1000;
      grants.length = 0;
      await s.close();
      const r2 = await s.sync('oauth');
      expect(grants).toEqual(['refresh_token']);
      expect(r2.folders.find((f) => f.path === 'INBOX')!.total).toBe(2);
      expect([...active].some((t) => !before.has(t))).toBe(true);

      // The user revoked the app at the provider: the refresh is refused and said so.
      for (const g of grants) revokedRefresh.add(g);
      const secret = s.store.secret(view.id) as { refreshToken: string };
      revokedRefresh.add(secret.refreshToken);
      clock += TTL_S * 1000;
      await s.close();
      const err = await s.sync('oauth').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LegacyError', code: 'oauth_revoked' });
      expect(s.account('oauth')!.lastError).toMatchObject({ code: 'oauth_revoked' });
      expect(s.account('oauth')!.lastError!.message).toMatch(/sign in again/);
    } finally {
      await s.close();
    }
  });
});
