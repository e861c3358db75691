// The recovery phrase after onboarding, through the contract's dispatcher: a new identity
// waits for three retyped words (the same ones after a reload), and the phrase is shown
// again only after the passphrase checks out, without locking or changing the vault.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createDispatcher, type RequestName } from '../../../shared/ipc/index.js';
import { identityToPhrase, identityFromSeed } from '../../../shared/identity/index.js';
import { freshApps } from '../app/testing/fresh.js';
import { pickPositions } from './phrase.js';

const PASSPHRASE = 'correct horse battery';
const freshApp = freshApps();

/** A profile whose identity was just made (as onboarding stores it), and a typed contract caller. */
async function freshIdentity(pending: boolean) {
  const services = freshApp();
  const dispatch = createDispatcher(services.handlers, (e) => {
    throw e;
  });
  const call = (ch: RequestName, input: unknown) => dispatch(ch, input);
  await call('vault.create', { passphrase: PASSPHRASE });
  const seed = randomBytes(32);
  services.mail.identities.save({
    seed: seed.toString('hex'),
    address: '0006.0.1001',
    name: 'Ada',
    directory: 'http://127.0.0.1:9/',
    beacon: 'a'.repeat(32),
    servers: [],
    createdAt: 1,
    ...(pending ? { phrasePending: true } : {}),
  });
  const words = identityToPhrase(identityFromSeed(new Uint8Array(seed))).split(' ');
  return { call, words };
}

describe('recovery phrase confirmation', () => {
  it('keeps a new identity at the confirmation step until three right words are typed', async () => {
    const { call, words } = await freshIdentity(true);
    expect(await call('identity.state', {})).toMatchObject({ ok: true, value: { state: 'ready', phraseConfirmed: false } });
    const first = await call('identity.phrase.challenge', {});
    if (!first.ok) throw new Error(first.error.message);
    const { positions } = first.value as { positions: number[] };
    expect(positions).toHaveLength(3);
    expect(new Set(positions).size).toBe(3);
    // A reload asks again and gets the same words to type.
    expect(await call('identity.phrase.challenge', {})).toEqual(first);

    const wrong = [words[positions[0]! - 1]!, 'nope', words[positions[2]! - 1]!];
    expect(await call('identity.phrase.confirm', { words: wrong })).toEqual({
      ok: false,
      error: { code: 'invalid_input', message: `Word ${positions[1]} does not match your recovery phrase.` },
    });
    expect(await call('identity.state', {})).toMatchObject({ value: { phraseConfirmed: false } });

    const right = positions.map((p) => ` ${words[p - 1]!.toUpperCase()} `);
    expect(await call('identity.phrase.confirm', { words: right })).toMatchObject({
      ok: true,
      value: { state: 'ready', phraseConfirmed: true },
    });
    expect(await call('identity.state', {})).toMatchObject({ value: { phraseConfirmed: true } });
    expect(await call('identity.phrase.challenge', {})).toEqual({ ok: true, value: { positions: [] } });
  });

  it('treats identities made before confirmation existed, and restored ones, as confirmed', async () => {
    const { call } = await freshIdentity(false);
    expect(await call('identity.state', {})).toMatchObject({ value: { phraseConfirmed: true } });
  });

  it('shows the phrase again only for the right passphrase, and the vault stays open either way', async () => {
    const { call, words } = await freshIdentity(false);
    expect(await call('identity.phrase.reveal', { passphrase: 'not it at all' })).toMatchObject({
      ok: false,
      error: { code: 'wrong_passphrase' },
    });
    expect(await call('vault.state', {})).toMatchObject({ value: { state: 'unlocked' } });
    expect(await call('identity.phrase.reveal', { passphrase: PASSPHRASE })).toEqual({ ok: true, value: { phrase: words.join(' ') } });
    await call('vault.lock', {});
    expect(await call('identity.phrase.reveal', { passphrase: PASSPHRASE })).toMatchObject({ ok: false, error: { code: 'locked' } });
  });

  it('picks distinct positions in order', () => {
    let i = 0;
    const rand = (n: number) => (i++ * 7) % n;
    const p = pickPositions(24, 3, rand);
    expect(p).toHaveLength(3);
    expect([...p].sort((a, b) => a - b)).toEqual(p);
    expect(p.every((x) => x >= 1 && x <= 24)).toBe(true);
  });
});
