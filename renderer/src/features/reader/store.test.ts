import { describe, expect, it } from 'vitest';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import { createReaderStore } from './store.js';

function setup() {
  const inbox = fakeMessage('inbox', 1, { subject: 'Keep me' });
  const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, messages: [inbox] });
  const moved: string[] = [];
  const store = createReaderStore(rt, { onMoved: (_m, to) => moved.push(to) });
  return { rt, store, inbox, moved };
}

describe('reader store: archive, Trash and restore', () => {
  it('archives the open message and closes it; from Archive it goes back to Inbox', async () => {
    const { rt, store, inbox, moved } = setup();
    await store.getState().open(inbox.id);
    expect(await store.getState().archive()).toBe(true);
    expect(rt.messages[0]!.folder).toBe('archive');
    expect(store.getState().openId).toBeNull();
    await store.getState().open(inbox.id);
    await store.getState().archive();
    expect(rt.messages[0]!.folder).toBe('inbox');
    expect(moved).toEqual(['archive', 'inbox']);
  });

  it('restores a deleted message to the folder it came from', async () => {
    const { rt, store, inbox, moved } = setup();
    rt.messages[0]!.folder = 'archive';
    await store.getState().open(inbox.id);
    await store.getState().remove();
    expect(rt.messages[0]!.folder).toBe('trash');
    await store.getState().open(inbox.id);
    expect(store.getState().message?.restoreTo).toBe('archive');
    expect(await store.getState().restore()).toBe(true);
    expect(rt.messages[0]!.folder).toBe('archive');
    expect(moved).toEqual(['archive']);
  });

  it('erases from Trash only after the user confirms', async () => {
    const { rt, store, inbox } = setup();
    rt.messages[0]!.folder = 'trash';
    await store.getState().open(inbox.id);
    expect(await store.getState().remove()).toBe(false);
    expect(store.getState().confirmingDelete).toBe(true);
    expect(rt.calls.some((c) => c.channel === 'mail.delete')).toBe(false);
    store.getState().cancelRemove();
    expect(store.getState().confirmingDelete).toBe(false);
    expect(rt.messages).toHaveLength(1);
    await store.getState().remove();
    expect(await store.getState().confirmRemove()).toBe(true);
    expect(rt.calls.filter((c) => c.channel === 'mail.delete').map((c) => c.input)).toEqual([{ id: inbox.id, permanent: true }]);
    expect(rt.messages).toHaveLength(0);
    expect(store.getState().openId).toBeNull();
  });

  it('loads the conversation of a message that has one', async () => {
    const { rt, store, inbox } = setup();
    const lone = fakeMessage('inbox', 2);
    rt.messages.push(lone);
    rt.messages[0]!.thread = { size: 2 };
    await store.getState().open(inbox.id);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().thread?.map((m) => m.id)).toEqual([inbox.id]);
    await store.getState().open(lone.id);
    expect(store.getState().thread).toBeNull();
    expect(rt.calls.filter((c) => c.channel === 'mail.thread')).toHaveLength(1);
  });
});

describe('reader store: email from an account', () => {
  it('shows the images of an email once its sender is allowed, keeping what the view already had', async () => {
    const account = 'a'.repeat(32);
    const email = fakeMessage('inbox', 2, {
      subject: 'Site plans',
      level: 'plain',
      origin: { accountId: account, account: 'Lab' },
      document: 'AAAA',
      legacy: { remoteImages: 1, imagesAllowed: false, cc: ['c@example.org'] },
    });
    const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, messages: [email] });
    const asked: unknown[] = [];
    const runtime: typeof rt = {
      ...rt,
      invoke: ((channel: string, input: unknown) => {
        if (channel !== 'legacy.allowImages') return rt.invoke(channel as never, input as never);
        asked.push(input);
        return Promise.resolve({
          ...email,
          accountId: account,
          account: 'Lab',
          hasAttachments: false,
          cc: [],
          attachments: [],
          body: 'with images',
          document: 'BBBB',
          remoteImages: 0,
          imagesAllowed: true,
        });
      }) as typeof rt.invoke,
    };
    const store = createReaderStore(runtime);
    await store.getState().open(email.id);
    expect(await store.getState().allowImages()).toBe(true);
    expect(asked).toEqual([{ id: email.id }]);
    const m = store.getState().message!;
    expect(m.document).toBe('BBBB');
    expect(m.body).toBe('with images');
    expect(m.legacy).toEqual({ remoteImages: 0, imagesAllowed: true, cc: ['c@example.org'] });
    expect(m.origin?.account).toBe('Lab');
  });

  it('a qmail has no images to allow', async () => {
    const { store, inbox } = setup();
    await store.getState().open(inbox.id);
    expect(await store.getState().allowImages()).toBe(false);
  });
});
