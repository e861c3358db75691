import { describe, expect, it } from 'vitest';
import { createAppStores } from '../../app/stores.js';
import { createFakeRuntime, fakeMessage } from '../../test-support/fake-runtime.js';
import type { DraftMemory } from './resume.js';
import { createComposerStore, layoutNote, stripesProblem } from './store.js';

const settle = () => new Promise((r) => setTimeout(r, 0));
const unlocked = () =>
  createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' }, identity: { state: 'ready', address: '0006.1.42' } });

describe('composer: replies are threaded', () => {
  it('a reply names the message it answers when saved, reopened and sent', async () => {
    const rt = unlocked();
    const original = fakeMessage('inbox', 1, { from: '0006.1.7', subject: 'Lunch?' });
    rt.messages.push(original);
    const c = createComposerStore(rt);
    c.getState().openReply(original);
    expect(c.getState().inReplyTo).toBe(original.id);
    await c.getState().save();
    const saved = rt.calls.find((x) => x.channel === 'drafts.save')!.input as { inReplyTo?: string };
    expect(saved.inReplyTo).toBe(original.id);

    const draftId = c.getState().draftId!;
    c.getState().discard();
    expect(c.getState().inReplyTo).toBeNull();
    c.getState().openDraft({
      ...rt.messages.find((m) => m.id === draftId)!,
      draft: { cc: [], level: 'L3', stripes: { k: 4, p: 1 }, inReplyTo: original.id },
    });
    expect(c.getState().inReplyTo).toBe(original.id);
    await c.getState().send();
    expect(rt.calls.find((x) => x.channel === 'mail.send')!.input).toMatchObject({ inReplyTo: original.id, draftId });

    // A new message answers nothing.
    c.getState().openNew();
    c.getState().setField('to', '0006.1.7');
    await c.getState().send();
    expect(rt.calls.filter((x) => x.channel === 'mail.send')[1]!.input).not.toHaveProperty('inReplyTo');
  });
});

describe('composer: layouts bounded by the servers available', () => {
  it('asks the limit on opening, shrinks a layout that does not fit, and refuses a wider one before sending', async () => {
    const rt = unlocked();
    rt.maxServers = 3;
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    app.composer.getState().openNew();
    await settle();
    expect(app.composer.getState().maxServers).toBe(3);
    expect(app.composer.getState().stripes).toEqual({ k: 2, p: 1 });
    app.composer.getState().setField('to', '0006.1.7');
    app.composer.getState().setStripes({ k: 10, p: 2 });
    expect(await app.composer.getState().send()).toBeNull();
    expect(app.composer.getState().error).toBe('Only 3 servers can be used on this network: data plus parity stripes is at most 3.');
    expect(rt.calls.some((x) => x.channel === 'mail.send')).toBe(false);
    expect(stripesProblem({ k: 2, p: 1 }, 3)).toBeNull();
    expect(stripesProblem({ k: 10, p: 2 }, null)).toBeNull();
  });

  it('on a network of paid hires, starts from the servers paid for and says what a wider layout buys', async () => {
    const rt = unlocked();
    rt.maxServers = 5;
    rt.hiredServers = 4;
    const app = createAppStores(rt);
    await app.vault.getState().check();
    await settle();
    app.composer.getState().openNew();
    await settle();
    expect(app.composer.getState()).toMatchObject({ maxServers: 5, hiredServers: 4, stripes: { k: 3, p: 1 } });
    expect(layoutNote({ k: 3, p: 1 }, 5, 4)).toBe('4 servers of 5 available; survives 1 lost');
    // wider is still the user's to choose, and the note says it hires and pays
    app.composer.getState().setStripes({ k: 4, p: 1 });
    expect(stripesProblem(app.composer.getState().stripes, 5)).toBeNull();
    expect(layoutNote({ k: 4, p: 1 }, 5, 4)).toBe(
      '5 servers of 5 available; survives 1 lost; Send hires and pays 1 more server (4 paid for)',
    );
    expect(layoutNote({ k: 4, p: 1 }, 5, null)).toBe('5 servers of 5 available; survives 1 lost');
  });
});

describe('drafts survive closing the window', () => {
  function memory(): DraftMemory & { value: string | null } {
    return {
      value: null,
      get() {
        return this.value;
      },
      set(id) {
        this.value = id;
      },
    };
  }

  it('remembers the open draft, saves when the page goes away, and offers it after the next unlock', async () => {
    const rt = unlocked();
    const mem = memory();
    const app = createAppStores(rt, { draftMemory: mem });
    await app.vault.getState().check();
    await settle();
    const listeners = new Map<string, (e: Event) => void>();
    const detach = app.resume.getState().attach(
      {
        addEventListener: (t: string, f: (e: Event) => void) => listeners.set(t, f),
        removeEventListener: (t: string) => listeners.delete(t),
      } as never,
      { askBeforeLeaving: true },
    );
    app.composer.getState().openNew();
    app.composer.getState().setField('to', '0006.1.7');
    app.composer.getState().setField('subject', 'Half written');
    // The window closes before the autosave's pause: the page saves, and the browser is asked to confirm leaving.
    const leaving = new Event('beforeunload', { cancelable: true });
    listeners.get('beforeunload')!(leaving);
    expect(leaving.defaultPrevented).toBe(true);
    await settle();
    const nothingLeft = new Event('beforeunload', { cancelable: true });
    listeners.get('beforeunload')!(nothingLeft);
    expect(nothingLeft.defaultPrevented).toBe(false);
    listeners.get('pagehide')!(new Event('pagehide'));
    const draftId = app.composer.getState().draftId!;
    expect(rt.messages.find((m) => m.id === draftId)).toMatchObject({ folder: 'drafts', subject: 'Half written' });
    expect(mem.value).toBe(draftId);
    detach();
    expect(listeners.size).toBe(0);

    // A new window (the same device, the same profile) after reload and unlock.
    const next = createAppStores(rt, { draftMemory: mem });
    rt.vault.state = 'locked';
    await next.vault.getState().check();
    await next.vault.getState().unlock('x');
    await settle();
    expect(next.resume.getState().offer).toEqual({ id: draftId, subject: 'Half written', to: ['0006.1.7'] });
    await next.resume.getState().accept();
    expect(next.composer.getState()).toMatchObject({ open: true, draftId, subject: 'Half written' });
    // Sending (or closing) it forgets it; locking does not.
    await next.vault.getState().lock();
    expect(mem.value).toBe(draftId);
    await next.vault.getState().unlock('x');
    await settle();
    next.resume.getState().dismiss();
    expect(mem.value).toBeNull();
    expect(next.resume.getState().offer).toBeNull();
  });

  it('offers nothing when the remembered draft was sent or deleted meanwhile', async () => {
    const rt = unlocked();
    const mem = memory();
    const gone = fakeMessage('sent', 1);
    rt.messages.push(gone);
    mem.value = gone.id;
    const app = createAppStores(rt, { draftMemory: mem });
    await app.vault.getState().check();
    await settle();
    expect(app.resume.getState().offer).toBeNull();
    expect(mem.value).toBeNull();
  });
});
