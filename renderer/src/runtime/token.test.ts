import { describe, expect, it } from 'vitest';
import { takeToken, TOKEN_STORAGE_KEY } from './token.js';

function env(hash: string, stored: string | null = null) {
  const store = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
  const replaced: string[] = [];
  return {
    replaced,
    store,
    env: {
      location: { hash, pathname: '/', search: '' },
      history: { state: null, replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
      storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    },
  };
}

describe('takeToken', () => {
  it('takes the token from the fragment, removes it from the URL and keeps it for reloads', () => {
    const e = env('#token=AbC_def-0123456789xyz');
    expect(takeToken(e.env)).toBe('AbC_def-0123456789xyz');
    expect(e.replaced).toEqual(['/']);
    expect(e.store.get(TOKEN_STORAGE_KEY)).toBe('AbC_def-0123456789xyz');
  });

  it('keeps other fragment parameters', () => {
    const e = env('#token=AbC_def-0123456789xyz&view=drafts');
    takeToken(e.env);
    expect(e.replaced).toEqual(['/#view=drafts']);
  });

  it('falls back to the stored token after a reload', () => {
    const e = env('', 'stored_token_0123456789');
    expect(takeToken(e.env)).toBe('stored_token_0123456789');
    expect(e.replaced).toEqual([]);
  });

  it('refuses a malformed token but still strips it from the URL', () => {
    const e = env('#token=has spaces and <tags>');
    expect(takeToken(e.env)).toBeNull();
    expect(e.replaced).toEqual(['/']);
    expect(e.store.size).toBe(0);
  });
});
