import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../../shared/ipc/errors.js';
import { createFakeRuntime } from '../../test-support/fake-runtime.js';
import { createComposerStore, parseRecipients } from './store.js';

const unlocked = () => createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });

describe('composer store', () => {
  it('splits recipients on commas, semicolons and new lines', () => {
    expect(parseRecipients(' a@x.org, b@y.org;c@z.org\n\n , ')).toEqual(['a@x.org', 'b@y.org', 'c@z.org']);
  });

  it('saves a new draft, then updates the same draft', async () => {
    const rt = unlocked();
    const saved: string[] = [];
    const store = createComposerStore(rt, { onSaved: (id) => saved.push(id), now: () => 42 });
    store.getState().openNew();
    store.getState().setField('to', 'ada@example.org, grace@example.org');
    store.getState().setField('subject', 'Hello');
    store.getState().setField('body', 'First words');
    expect(await store.getState().save()).toBe(true);
    const id = store.getState().draftId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(store.getState()).toMatchObject({ dirty: false, savedAt: 42, error: null });
    expect(rt.messages).toHaveLength(1);
    expect(rt.messages[0]).toMatchObject({ folder: 'drafts', to: ['ada@example.org', 'grace@example.org'], subject: 'Hello', body: 'First words' });

    store.getState().setField('body', 'Second words');
    await store.getState().save();
    expect(rt.calls.filter((c) => c.channel === 'drafts.save').map((c) => (c.input as { id?: string }).id)).toEqual([undefined, id]);
    expect(rt.messages).toHaveLength(1);
    expect(rt.messages[0]!.body).toBe('Second words');
    expect(saved).toEqual([id, id]);
  });

  it('saves unsaved words on close, and closes an empty composer without saving', async () => {
    const rt = unlocked();
    const store = createComposerStore(rt);
    store.getState().openNew();
    expect(await store.getState().close()).toBe(true);
    expect(rt.calls).toHaveLength(0);

    store.getState().openNew();
    store.getState().setField('subject', 'Keep me');
    expect(await store.getState().close()).toBe(true);
    expect(store.getState().open).toBe(false);
    expect(rt.messages.map((m) => m.subject)).toEqual(['Keep me']);
  });

  it('stays open with the words and a clear error when saving fails', async () => {
    const rt = unlocked();
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('body', 'Precious text');
    rt.failNext('drafts.save', new ContractError('unavailable', 'The background service did not answer within 15 s (drafts.save).'));
    expect(await store.getState().close()).toBe(false);
    expect(store.getState()).toMatchObject({ open: true, body: 'Precious text', dirty: true });
    expect(store.getState().error).toBe('The draft was not saved: The background service did not answer within 15 s (drafts.save).');
  });
});
