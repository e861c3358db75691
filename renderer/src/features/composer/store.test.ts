import { describe, expect, it, vi } from 'vitest';
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
    expect(rt.messages[0]).toMatchObject({
      folder: 'drafts',
      to: ['ada@example.org', 'grace@example.org'],
      subject: 'Hello',
      body: 'First words',
    });

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

/**
 * The fake runtime keeps only a draft's words; this wraps it so drafts.save also keeps Cc,
 * level, stripes and attachments the way the main process does (given fields replace,
 * missing ones are kept), and mail.attachment hands the bytes back.
 */
function withDraftExtras(rt: ReturnType<typeof unlocked>) {
  const files = new Map<string, { name: string; data: string }[]>();
  const inner = rt.invoke.bind(rt);
  rt.invoke = (async (channel: string, input: Record<string, unknown>) => {
    if (channel === 'mail.attachment') {
      rt.calls.push({ channel, input });
      const f = files.get(input.id as string)?.[input.index as number];
      if (!f) throw new ContractError('not_found', 'no such attachment');
      return { name: f.name, size: atob(f.data).length, data: f.data };
    }
    const out = await inner(channel as never, input as never);
    if (channel === 'drafts.save') {
      const { id } = out as { id: string };
      const m = rt.messages.find((x) => x.id === id)!;
      const before = m.draft ?? { cc: [], level: 'L3' as const, stripes: { k: 4, p: 1 } };
      m.draft = {
        cc: (input.cc as string[]) ?? before.cc,
        level: (input.level as 'L4') ?? before.level,
        stripes: (input.stripes as { k: number; p: number }) ?? before.stripes,
      };
      if (input.attachments) files.set(id, input.attachments as { name: string; data: string }[]);
      m.attachments = (files.get(id) ?? []).map((a, index) => ({ index, name: a.name, size: atob(a.data).length }));
    }
    return out;
  }) as typeof rt.invoke;
  return rt;
}

describe('composer drafts keep everything', () => {
  it('a draft with cc, level L4, stripes 6+2 and an attachment comes back identical', async () => {
    const rt = withDraftExtras(unlocked());
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('to', '0006.1.7');
    store.getState().setField('cc', '0006.1.8, 0006.1.9');
    store.getState().setField('subject', 'Plans');
    store.getState().setField('body', 'Draft text');
    store.getState().setLevel('L4');
    store.getState().setStripes({ k: 6, p: 2 });
    store.getState().addAttachment({ name: 'plan.txt', size: 5, data: btoa('hello') });
    expect(await store.getState().close()).toBe(true);
    const first = rt.calls.find((c) => c.channel === 'drafts.save')!.input;
    expect(first).toMatchObject({
      cc: ['0006.1.8', '0006.1.9'],
      level: 'L4',
      stripes: { k: 6, p: 2 },
      attachments: [{ name: 'plan.txt', data: btoa('hello') }],
    });

    const view = await rt.invoke('mail.get', { id: rt.messages[0]!.id });
    store.getState().openDraft(view);
    await vi.waitFor(() => expect(store.getState().restoring).toBe(false));
    const s = store.getState();
    expect({
      to: s.to,
      cc: s.cc,
      subject: s.subject,
      body: s.body,
      level: s.level,
      stripes: s.stripes,
      dirty: s.dirty,
      error: s.error,
    }).toEqual({
      to: '0006.1.7',
      cc: '0006.1.8, 0006.1.9',
      subject: 'Plans',
      body: 'Draft text',
      level: 'L4',
      stripes: { k: 6, p: 2 },
      dirty: false,
      error: null,
    });
    expect(s.attachments.map(({ name, size, data }) => ({ name, size, data }))).toEqual([
      { name: 'plan.txt', size: 5, data: btoa('hello') },
    ]);

    // Autosave of more words does not send the attachments again, and the draft keeps them.
    store.getState().setField('body', 'Draft text, longer');
    expect(await store.getState().save()).toBe(true);
    const second = rt.calls.filter((c) => c.channel === 'drafts.save').at(-1)!.input as Record<string, unknown>;
    expect(second).toMatchObject({
      id: view.id,
      body: 'Draft text, longer',
      cc: ['0006.1.8', '0006.1.9'],
      level: 'L4',
      stripes: { k: 6, p: 2 },
    });
    expect(second.attachments).toBeUndefined();
    expect(rt.messages[0]!.attachments).toEqual([{ index: 0, name: 'plan.txt', size: 5 }]);

    // Removing the attachment is saved as an empty list.
    store.getState().removeAttachment(store.getState().attachments[0]!.key);
    expect(store.getState().dirty).toBe(true);
    expect(await store.getState().save()).toBe(true);
    expect((rt.calls.filter((c) => c.channel === 'drafts.save').at(-1)!.input as Record<string, unknown>).attachments).toEqual([]);
  });

  it('will not send a reopened draft whose attachments could not be read back', async () => {
    const rt = withDraftExtras(unlocked());
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('to', '0006.1.7');
    store.getState().addAttachment({ name: 'a.txt', size: 1, data: btoa('a') });
    await store.getState().close();
    const view = await rt.invoke('mail.get', { id: rt.messages[0]!.id });
    store.getState().openDraft({ ...view, attachments: [{ index: 3, name: 'gone.txt', size: 1 }] });
    await vi.waitFor(() => expect(store.getState().restoring).toBe(false));
    expect(store.getState().error).toMatch(/gone\.txt could not be read back/);
    expect(await store.getState().send()).toBeNull();
    expect(rt.calls.some((c) => c.channel === 'mail.send')).toBe(false);
  });
});
