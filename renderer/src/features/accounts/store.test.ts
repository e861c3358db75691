import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { requests, type LegacyAccount, type LegacySignIn, type RequestName } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import { SIGN_IN_POLL_MS, createAccountsStore } from './store.js';

const ID = 'a'.repeat(32);
const FLOW = 'f'.repeat(32);
const ACCOUNT: LegacyAccount = {
  id: ID,
  name: 'Lab',
  preset: 'generic',
  email: 'ada@a.localhost',
  user: 'ada@a.localhost',
  incoming: { kind: 'imap', host: '127.0.0.1', port: 993, tls: 'implicit', hasCa: false },
  smtp: { host: '127.0.0.1', port: 465, tls: 'implicit', hasCa: false },
  authKind: 'oauth2',
  leaveOnServer: true,
};
const INPUT = {
  name: 'Lab',
  preset: 'generic' as const,
  email: 'ada@a.localhost',
  user: 'ada@a.localhost',
  incoming: { kind: 'imap' as const, host: '127.0.0.1', port: 993, tls: 'implicit' as const },
  smtp: { host: '127.0.0.1', port: 465, tls: 'implicit' as const },
  oauth: { authorizationUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'qmail', scope: 'mail' },
};

/** The main process's side as the store sees it: a sign-in that ends after `polls` status calls, as `end`. */
function signInRuntime(end: LegacySignIn['state'], polls = 2) {
  const calls: RequestName[] = [];
  let left = polls;
  const flow = (state: LegacySignIn['state']): LegacySignIn => ({
    id: FLOW,
    state,
    url: 'http://127.0.0.1:9/authorize?x=1',
    ...(state === 'done' ? { account: ACCOUNT } : {}),
    ...(state === 'failed' ? { error: { code: 'auth', message: 'The provider did not sign you in (access_denied).' } } : {}),
  });
  const runtime: Runtime = {
    host: 'web',
    async invoke(channel, raw) {
      requests[channel].input.parse(raw);
      calls.push(channel);
      let out: unknown;
      if (channel === 'accounts.signIn') out = flow('waiting');
      else if (channel === 'accounts.signInStatus') out = flow(--left > 0 ? 'waiting' : end);
      else if (channel === 'accounts.signInCancel') out = flow('cancelled');
      else if (channel === 'accounts.testSaved')
        out = { ok: false, stage: 'auth', server: 'incoming', message: 'the server refused XOAUTH2' };
      else if (channel === 'accounts.sync') out = { added: 0 };
      else if (channel === 'legacy.list') out = { total: 0, items: [] };
      else if (channel === 'accounts.checkCa') {
        if (!String((raw as { pem: string }).pem).includes('BEGIN CERTIFICATE'))
          throw new ContractError('invalid_input', 'CA certificate: no PEM certificate in it.');
        out = { certificates: [{ subject: 'CN=Lab CA', validTo: '2030-01-01T00:00:00.000Z', ca: true }] };
      } else throw new Error(`unexpected ${channel}`);
      return requests[channel].output.parse(out) as never;
    },
    on: () => () => undefined,
  };
  return { runtime, calls };
}

afterEach(() => vi.useRealTimers());

describe('accounts store: browser sign-in and the CA field', () => {
  it('follows a sign-in to the end, adds the account and tests it by its saved sign-in (naming the failed stage)', async () => {
    vi.useFakeTimers();
    const { runtime, calls } = signInRuntime('done');
    const s = createAccountsStore(runtime);
    const run = s.getState().startSignIn(INPUT);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.getState().signIn).toMatchObject({ state: 'waiting', url: 'http://127.0.0.1:9/authorize?x=1' });
    expect(s.getState().busy).toBe('signing-in');
    await vi.advanceTimersByTimeAsync(SIGN_IN_POLL_MS * 3);
    expect(await run).toBe(true);
    expect(s.getState().accounts.map((a) => a.name)).toEqual(['Lab']);
    expect(s.getState().saved).toBe('Signed in and added Lab.');
    expect(s.getState().test).toMatchObject({ ok: false, stage: 'auth' });
    expect(calls.slice(0, 4)).toEqual(['accounts.signIn', 'accounts.signInStatus', 'accounts.signInStatus', 'accounts.testSaved']);
  });

  it('a failed sign-in is an error; cancel stops following it', async () => {
    vi.useFakeTimers();
    const failed = signInRuntime('failed', 1);
    const s = createAccountsStore(failed.runtime);
    const run = s.getState().startSignIn(INPUT);
    await vi.advanceTimersByTimeAsync(SIGN_IN_POLL_MS * 2);
    expect(await run).toBe(false);
    expect(s.getState().error).toContain('access_denied');
    expect(s.getState().busy).toBe(null);

    const waiting = signInRuntime('done', 1000);
    const c = createAccountsStore(waiting.runtime);
    const run2 = c.getState().startSignIn(INPUT);
    await vi.advanceTimersByTimeAsync(SIGN_IN_POLL_MS * 2);
    await c.getState().cancelSignIn();
    await vi.advanceTimersByTimeAsync(SIGN_IN_POLL_MS * 2);
    expect(await run2).toBe(false);
    expect(c.getState().signIn?.state).toBe('cancelled');
    expect(c.getState().accounts).toEqual([]);
    expect(waiting.calls).toContain('accounts.signInCancel');
  });

  it('the CA field: what the main process found, or its reason', async () => {
    const { runtime } = signInRuntime('done');
    const s = createAccountsStore(runtime);
    expect(await s.getState().checkCa('-----BEGIN CERTIFICATE-----\n…')).toBe(true);
    expect(s.getState().caCheck).toEqual({ ok: true, message: expect.stringContaining('CN=Lab CA (until 2030-01-01)') });
    expect(await s.getState().checkCa('hello')).toBe(false);
    expect(s.getState().caCheck).toEqual({ ok: false, message: expect.stringContaining('no PEM certificate') });
  });
});
