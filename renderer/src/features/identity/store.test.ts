import { describe, expect, it, vi } from 'vitest';
import { createFakeRuntime, FAKE_CHALLENGE, FAKE_PHRASE, fakeServer } from '../../test-support/fake-runtime.js';
import { choiceProblem, createIdentityStore, defaultChoice, onboarded } from './store.js';

const unlocked = () => createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });

describe('identity store', () => {
  it('preselects the most reliable servers for storage and as beacon', () => {
    const servers = [fakeServer(5, { uptimeSeconds: 10 }), fakeServer(1, { uptimeSeconds: 900 }), fakeServer(2, { uptimeSeconds: 500 })];
    const c = defaultChoice(servers);
    expect(c.beacon).toBe(servers[1]!.nodeId);
    expect(c.storage).toEqual([servers[1]!.nodeId, servers[2]!.nodeId, servers[0]!.nodeId]);
    expect(choiceProblem({ storage: [servers[0]!.nodeId], beacon: c.beacon }, servers)).toMatch(/at least 2/);
    expect(choiceProblem({ storage: [], beacon: null }, [])).toBeNull();
  });

  it('creates an identity with the chosen servers and keeps the phrase until acknowledged', async () => {
    const rt = unlocked();
    const store = createIdentityStore(rt);
    await store.getState().check();
    expect(store.getState().status).toBe('none');
    await store.getState().loadServers();
    expect(store.getState().choice.storage).toHaveLength(3);
    expect(await store.getState().create('  ')).toBe(false);
    expect(store.getState().error).toMatch(/name/);
    expect(await store.getState().create('Ada')).toBe(true);
    expect(rt.calls.find((c) => c.channel === 'identity.create')?.input).toMatchObject({
      name: 'Ada',
      storage: store.getState().choice.storage,
      beacon: store.getState().choice.beacon,
    });
    expect(store.getState()).toMatchObject({ status: 'ready', phrase: FAKE_PHRASE, identity: { address: '0006.1.42' } });
    expect(onboarded(store.getState())).toBe(false);
    store.getState().acknowledgePhrase();
    expect(store.getState().phrase).toBeNull();
  });

  it('opens the mail window only after the asked-for words of the phrase are retyped, and shows the phrase again for the passphrase', async () => {
    const rt = unlocked();
    const store = createIdentityStore(rt);
    await store.getState().loadServers();
    await store.getState().create('Ada');
    store.getState().acknowledgePhrase();
    await vi.waitFor(() => expect(store.getState().challenge).toEqual(FAKE_CHALLENGE));
    // The phrase is off screen, yet onboarding is not over.
    expect(store.getState().phrase).toBeNull();
    expect(onboarded(store.getState())).toBe(false);

    // A reload: the service still says the phrase waits, so the confirmation step comes back.
    const reloaded = createIdentityStore(rt);
    await reloaded.getState().check();
    expect(reloaded.getState()).toMatchObject({ status: 'ready', identity: { phraseConfirmed: false } });
    expect(onboarded(reloaded.getState())).toBe(false);

    expect(await reloaded.getState().revealPhrase('wrong')).toBe(false);
    expect(reloaded.getState()).toMatchObject({ phrase: null, error: expect.stringMatching(/passphrase/) });
    expect(await reloaded.getState().revealPhrase('x')).toBe(true);
    expect(reloaded.getState().phrase).toBe(FAKE_PHRASE);
    reloaded.getState().acknowledgePhrase();
    await vi.waitFor(() => expect(reloaded.getState().challenge).toEqual(FAKE_CHALLENGE));

    const words = FAKE_PHRASE.split(' ');
    expect(await reloaded.getState().confirmPhrase(['', 'a', 'b'])).toBe(false);
    expect(reloaded.getState().error).toBe('Type each of the words asked for.');
    expect(await reloaded.getState().confirmPhrase(['nope', 'a', 'b'])).toBe(false);
    expect(reloaded.getState().error).toMatch(/does not match/);
    expect(onboarded(reloaded.getState())).toBe(false);
    expect(await reloaded.getState().confirmPhrase(FAKE_CHALLENGE.map((p) => ` ${words[p - 1]} `))).toBe(true);
    expect(onboarded(reloaded.getState())).toBe(true);
  });

  it('checks the phrase length before restoring', async () => {
    const rt = unlocked();
    const store = createIdentityStore(rt);
    await store.getState().loadServers();
    expect(await store.getState().restore('one two three')).toBe(false);
    expect(store.getState().error).toBe('A recovery phrase has 24 words; this one has 3.');
    expect(await store.getState().restore(`  ${FAKE_PHRASE.replace(/ /g, '\n ')} `)).toBe(true);
    expect((rt.calls.find((c) => c.channel === 'identity.restore')?.input as { phrase: string }).phrase).toBe(FAKE_PHRASE);
    expect(store.getState()).toMatchObject({ status: 'ready', phrase: null });
  });
});
