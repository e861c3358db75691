// A large attachment streams to the main process in 1 MiB slices with progress, is sent by
// its upload id (no bytes in mail.send or in a draft), and one removed mid-way is discarded.
import { describe, expect, it } from 'vitest';
import { createFakeRuntime } from '../../test-support/fake-runtime.js';
import { createComposerStore } from './store.js';
import { STAGE_CHUNK } from './upload.js';

/** The fake runtime, with the main process's staged uploads: chunks kept per upload id. */
function withStaging() {
  const rt = createFakeRuntime({ vault: { state: 'unlocked', passphrase: 'x' } });
  const uploads = new Map<string, { size: number; got: number; done: boolean }>();
  const discarded: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const inner = rt.invoke.bind(rt);
  rt.invoke = (async (channel: string, input: Record<string, unknown>) => {
    if (!channel.startsWith('attachments.')) return inner(channel as never, input as never);
    rt.calls.push({ channel: channel as never, input });
    if (channel === 'attachments.begin') {
      const id = String(uploads.size).padStart(32, '0');
      uploads.set(id, { size: input.size as number, got: 0, done: false });
      return { id };
    }
    const u = uploads.get(input.id as string)!;
    if (channel === 'attachments.chunk') {
      await gate;
      u.got += atob(input.data as string).length;
      return { received: u.got };
    }
    if (channel === 'attachments.finish') return ((u.done = true), { size: u.got });
    discarded.push(input.id as string);
    return { ok: true };
  }) as typeof rt.invoke;
  return { rt, uploads, discarded, hold: (p: Promise<void>) => (gate = p) };
}

describe('large attachments', () => {
  it('stream in 1 MiB slices with progress and are sent by id, never inline', async () => {
    const { rt, uploads } = withStaging();
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('to', '0006.1.7');
    const size = 2 * STAGE_CHUNK + 10;
    const seen: number[] = [];
    const stop = store.subscribe((s) => {
      const u = s.attachments[0]?.uploaded;
      if (u !== undefined && seen.at(-1) !== u) seen.push(u);
    });
    await store.getState().attachFile(new Blob([new Uint8Array(size).fill(7)]), 'film.mp4');
    stop();
    expect(seen).toEqual([0, STAGE_CHUNK, 2 * STAGE_CHUNK, size]);
    expect(rt.calls.filter((c) => c.channel === 'attachments.chunk')).toHaveLength(3);
    const [a] = store.getState().attachments;
    expect(a).toMatchObject({ name: 'film.mp4', size, staged: '0'.repeat(32) });
    expect(uploads.get(a!.staged!)).toEqual({ size, got: size, done: true });
    await store.getState().save();
    expect(rt.calls.find((c) => c.channel === 'drafts.save')!.input).toMatchObject({ attachments: [] });
    await store.getState().send();
    expect(rt.calls.find((c) => c.channel === 'mail.send')!.input).toMatchObject({ attachments: [], staged: ['0'.repeat(32)] });
  });

  it('is not sent while still uploading, and removing it mid-way discards the upload', async () => {
    const { rt, discarded, hold } = withStaging();
    const store = createComposerStore(rt);
    store.getState().openNew();
    store.getState().setField('to', '0006.1.7');
    let release!: () => void;
    hold(new Promise<void>((r) => (release = r)));
    const attaching = store.getState().attachFile(new Blob([new Uint8Array(3 * STAGE_CHUNK)]), 'big.iso');
    await new Promise((r) => setTimeout(r, 10));
    expect(await store.getState().send()).toBeNull();
    expect(store.getState().error).toMatch(/still uploading/);
    store.getState().removeAttachment(store.getState().attachments[0]!.key);
    release();
    await attaching;
    expect(store.getState().attachments).toEqual([]);
    expect(discarded).toEqual(['0'.repeat(32)]);
  });
});
