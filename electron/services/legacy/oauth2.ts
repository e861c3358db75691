// OAuth2 for desktop apps (RFC 8252): the system browser opens the provider's page, the
// answer comes back to a one-shot HTTP listener on 127.0.0.1 (any port), the code is bound
// to this run by PKCE S256 (RFC 7636) and the state is checked. Tokens are refreshed before
// they expire; a refused refresh (invalid_grant) is `oauth_revoked`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { LegacyError } from './errors.js';

export interface OAuthProviderConfig {
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  /** Desktop clients are public; some providers still issue a (non-secret) secret. */
  clientSecret?: string;
  scope: string;
}

export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Refresh when less than this is left. */
export const REFRESH_MARGIN_MS = 60_000;
const MAX_BODY = 64 * 1024;

const b64url = (b: Buffer) => b.toString('base64url');

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function tokenRequest(p: OAuthProviderConfig, params: Record<string, string>, now: () => number): Promise<OAuthTokens> {
  const body = new URLSearchParams({ client_id: p.clientId, ...(p.clientSecret ? { client_secret: p.clientSecret } : {}), ...params });
  let res: Response;
  try {
    res = await fetch(p.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new LegacyError('tcp', `OAuth2 token endpoint: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (text.length > MAX_BODY) throw new LegacyError('protocol', 'OAuth2 token answer too large');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new LegacyError('protocol', `OAuth2 token endpoint answered ${res.status} with no JSON`);
  }
  if (!res.ok || typeof json.access_token !== 'string') {
    const err = typeof json.error === 'string' ? json.error : `status ${res.status}`;
    if (err === 'invalid_grant')
      throw new LegacyError('oauth_revoked', 'the provider refused the saved sign-in (revoked or expired): sign in again');
    throw new LegacyError('auth', `OAuth2 token endpoint: ${err}`);
  }
  const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
  return {
    accessToken: json.access_token,
    ...(typeof json.refresh_token === 'string' ? { refreshToken: json.refresh_token } : {}),
    expiresAt: now() + expiresIn * 1000,
  };
}

/**
 * Runs the browser sign-in: `openBrowser` gets the provider URL (the app hands it to the
 * system browser); resolves with tokens once the redirect came back with the right state.
 */
export async function authorize(
  p: OAuthProviderConfig,
  openBrowser: (url: string) => Promise<void> | void,
  o: { timeoutMs?: number; now?: () => number } = {},
): Promise<OAuthTokens> {
  const { verifier, challenge } = pkcePair();
  const state = b64url(randomBytes(16));
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  try {
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LegacyError('timeout', 'the browser sign-in did not come back in time')),
        o.timeoutMs ?? 5 * 60_000,
      );
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (url.pathname !== '/callback') {
          res.writeHead(404).end();
          return;
        }
        const gotState = url.searchParams.get('state') ?? '';
        const finish = (ok: boolean, text: string) => {
          res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
        };
        if (!sameString(gotState, state)) {
          // Another page's redirect: not ours, keep waiting for the real one.
          finish(false, 'Sign-in state does not match; close this tab and try again.');
          return;
        }
        clearTimeout(timer);
        const error = url.searchParams.get('error');
        const c = url.searchParams.get('code');
        if (error || !c) {
          finish(false, 'Sign-in was not completed.');
          reject(new LegacyError('auth', `OAuth2 sign-in refused: ${error ?? 'no code'}`));
          return;
        }
        finish(true, 'Signed in. You can close this tab and return to QMail.');
        resolve(c);
      });
      const auth = new URL(p.authorizationUrl);
      auth.searchParams.set('response_type', 'code');
      auth.searchParams.set('client_id', p.clientId);
      auth.searchParams.set('redirect_uri', redirectUri);
      auth.searchParams.set('scope', p.scope);
      auth.searchParams.set('state', state);
      auth.searchParams.set('code_challenge', challenge);
      auth.searchParams.set('code_challenge_method', 'S256');
      Promise.resolve(openBrowser(auth.toString())).catch((e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
    return await tokenRequest(
      p,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      o.now ?? Date.now,
    );
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export async function refresh(p: OAuthProviderConfig, refreshToken: string, now: () => number = Date.now): Promise<OAuthTokens> {
  const t = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: refreshToken }, now);
  return { ...t, refreshToken: t.refreshToken ?? refreshToken };
}

/** The tokens to use now: the same ones, or refreshed when they expire within the margin. */
export async function fresh(
  p: OAuthProviderConfig,
  t: OAuthTokens,
  now: () => number = Date.now,
): Promise<{ tokens: OAuthTokens; refreshed: boolean }> {
  if (t.expiresAt - now() > REFRESH_MARGIN_MS) return { tokens: t, refreshed: false };
  if (!t.refreshToken) throw new LegacyError('oauth_revoked', 'the sign-in expired and cannot be renewed: sign in again');
  return { tokens: await refresh(p, t.refreshToken, now), refreshed: true };
}
