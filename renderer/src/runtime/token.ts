// Host mode hands the browser a one-run token in the URL fragment (#token=...). The
// fragment never reaches a server log, but it would stay visible in the address bar and
// history, so it is moved into sessionStorage (this tab only, survives a reload) and
// removed from the URL.
export const TOKEN_STORAGE_KEY = 'qmail.token';

export interface TokenEnv {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;

export function takeToken(env: TokenEnv): string | null {
  const params = new URLSearchParams(env.location.hash.replace(/^#/, ''));
  const fromHash = params.get('token');
  if (fromHash !== null) {
    params.delete('token');
    const rest = params.toString();
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search + (rest ? `#${rest}` : ''));
    if (TOKEN_RE.test(fromHash)) {
      try {
        env.storage?.setItem(TOKEN_STORAGE_KEY, fromHash);
      } catch {
        // storage may be disabled; the token still works for this page load
      }
      return fromHash;
    }
  }
  try {
    const stored = env.storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
    return stored && TOKEN_RE.test(stored) ? stored : null;
  } catch {
    return null;
  }
}
