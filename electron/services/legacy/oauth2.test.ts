import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { fresh, pkcePair, REFRESH_MARGIN_MS } from './oauth2.js';
import { backoffMs } from './imap/backoff.js';

const provider = { authorizationUrl: 'http://127.0.0.1:1/a', tokenUrl: 'http://127.0.0.1:1/t', clientId: 'c', scope: 's' };

describe('oauth2 and backoff', () => {
  it('PKCE S256: the challenge is the SHA-256 of the verifier, base64url, fresh each time', () => {
    const a = pkcePair();
    const b = pkcePair();
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
  });

  it('tokens well before expiry are kept; near expiry without a refresh token is oauth_revoked', async () => {
    const now = () => 1_000_000;
    const t = { accessToken: 'x', expiresAt: now() + REFRESH_MARGIN_MS + 1 };
    expect(await fresh(provider, t, now)).toEqual({ tokens: t, refreshed: false });
    await expect(fresh(provider, { accessToken: 'x', expiresAt: now() + 1000 }, now)).rejects.toMatchObject({ code: 'oauth_revoked' });
  });

  it('backoff grows, stays within [cap/2, cap] and under the maximum', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const cap = Math.min(10_000, 100 * 2 ** attempt);
      const v = backoffMs(attempt, 100, 10_000);
      expect(v).toBeGreaterThanOrEqual(Math.floor(cap / 2));
      expect(v).toBeLessThanOrEqual(cap);
    }
  });
});
