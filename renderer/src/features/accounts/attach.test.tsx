// Attachments in the Email window: files stream to the main process (attachments.begin/chunk/
// finish, 1 MiB base64 slices) and the send names them by upload id; a file over the account's
// limit is refused at once with the sizes; a forward starts with the original's attachments
// as removable chips and names the kept ones by index; a reply carries none. The form renders
// the composer's attachment row (chips with name, size, progress and a named remove button,
// and the "Attach files…" button).
import { renderToStaticMarkup } from 'react-dom/server';
import { createStore } from 'zustand/vanilla';
import { describe, expect, it } from 'vitest';
import { requests, type LegacyAccount, type RequestName } from '../../../../shared/ipc/contract.js';
import type { Runtime } from '../../../../shared/ipc/runtime.js';
import type { AppStores } from '../../app/stores.js';
import { StoresProvider } from '../../app/context.js';
import { fakeMessage } from '../../test-support/fake-runtime.js';
import { AttachmentsBar } from '../composer/AttachmentsBar.js';
import { Compose } from './LegacyMail.js';
import { createAccountsStore } from './store.js';

const ACCOUNT_ID = 'a'.repeat(32);
const account = (preset: LegacyAccount['preset']): LegacyAccount => ({
  id: ACCOUNT_ID,
  name: 'Lab',
  preset,
  email: 'ada@a.localhost',
  user: 'ada',
  incoming: { kind: 'imap', host: '127.0.0.1', port: 993, tls: 'implicit', hasCa: false },
  smtp: { host: '127.0.0.1', port: 465, tls: 'implicit', hasCa: false },
  authKind: 'password',
  leaveOnServer: true,
});

/** The main process as the store sees it: staging with chunk sizes recorded, and legacy.send recorded. */
function world(preset: LegacyAccount['preset'] = 'generic') {
  const calls: { channel: RequestName; input: Record<string, unknown> }[] = [];
  let n = 0;
  let failSend = false;
  const runtime: Runtime = {
    host: 'web',
    async invoke(channel, raw) {
      const input = requests[channel].input.parse(raw) as Record<string, unknown>;
      calls.push({ channel, input });
      let out: unknown;
      if (channel === 'accounts.list') out = [account(preset)];
      else if (channel === 'attachments.begin') out = { id: (++n).toString(16).padStart(32, '0') };
      else if (channel === 'attachments.chunk') out = { received: atob(String(input.data)).length };
      else if (channel === 'attachments.finish' || channel === 'attachments.discard')
        out = channel === 'attachments.finish' ? { size: 0 } : { ok: true };
      else if (channel === 'legacy.send') {
        if (failSend) throw new Error('SMTP 127.0.0.1:465: connection refused');
        out = { messageId: '<x@a.localhost>' };
      } else throw new Error(`unexpected ${channel}`);
      return requests[channel].output.parse(out) as never;
    },
    on: () => () => undefined,
  };
  const store = createAccountsStore(runtime);
  return { store, calls, failWith: (f: boolean) => (failSend = f) };
}

const email = fakeMessage('inbox', 1, {
  from: 'bob@b.localhost',
  subject: 'Plans',
  body: 'See the plans.',
  origin: { accountId: ACCOUNT_ID, account: 'Lab' },
  legacy: { remoteImages: 0, imagesAllowed: false, cc: [] },
  attachments: [
    { index: 1, name: 'plan.pdf', size: 300_000 },
    { index: 2, name: 'notes.txt', size: 19 },
  ],
});

describe('attachments in the Email window', () => {
  it('streams a file in 1 MiB slices and sends it by its upload id; sent, the chips go', async () => {
    const w = world();
    await w.store.getState().load();
    const file = new Blob([new Uint8Array(2.5 * (1 << 20))]);
    await w.store.getState().attachFile(file, 'data.bin', 'generic');
    const chunks = w.calls.filter((c) => c.channel === 'attachments.chunk');
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => String(c.input.data).length <= Math.ceil((1 << 20) / 3) * 4)).toBe(true);
    const [a] = w.store.getState().attachments;
    expect(a).toMatchObject({ name: 'data.bin', size: file.size, uploaded: file.size, staged: '1'.padStart(32, '0') });

    w.store.getState().requestSend({ accountId: ACCOUNT_ID, to: ['x@y.localhost'], cc: [], subject: 's', body: 'b', staged: [a!.staged!] });
    // A failed send keeps the chips (and the staged files): Send as email again works.
    w.failWith(true);
    expect(await w.store.getState().confirmSend()).toBe(false);
    expect(w.store.getState().attachments).toHaveLength(1);
    w.failWith(false);
    expect(await w.store.getState().confirmSend()).toBe(true);
    const send = w.calls.filter((c) => c.channel === 'legacy.send').at(-1)!;
    expect(send.input.staged).toEqual([a!.staged]);
    expect(JSON.stringify(send.input)).not.toContain('AAAA');
    expect(w.store.getState().attachments).toEqual([]);
  });

  it('refuses a file that would pass the account’s limit before uploading anything, naming the sizes', async () => {
    const w = world('outlook');
    const big = { size: 21 * (1 << 20) } as Blob;
    await w.store.getState().attachFile(big, 'video.mp4', 'outlook');
    expect(w.calls.some((c) => c.channel === 'attachments.begin')).toBe(false);
    expect(w.store.getState().attachments).toEqual([]);
    expect(w.store.getState().attachError).toBe(
      'video.mp4 is 21.0 MB: with the other attachments that is 21.0 MB, over the 20.0 MB Outlook takes in one email.',
    );
  });

  it('removing a chip discards its upload; Back from the confirmation discards them all', async () => {
    const w = world();
    await w.store.getState().attachFile(new Blob(['one']), 'one.txt', 'generic');
    await w.store.getState().attachFile(new Blob(['two']), 'two.txt', 'generic');
    const [one, two] = w.store.getState().attachments;
    w.store.getState().removeAttachment(one!.key);
    expect(w.calls.filter((c) => c.channel === 'attachments.discard').map((c) => c.input.id)).toEqual([one!.staged]);
    w.store
      .getState()
      .requestSend({ accountId: ACCOUNT_ID, to: ['x@y.localhost'], cc: [], subject: 's', body: 'b', staged: [two!.staged!] });
    w.store.getState().cancelSend();
    expect(w.calls.filter((c) => c.channel === 'attachments.discard').map((c) => c.input.id)).toEqual([one!.staged, two!.staged]);
    expect(w.store.getState().attachments).toEqual([]);
  });

  it('a forward starts with the original’s attachments as chips; a reply with none', () => {
    const w = world();
    w.store.getState().forward(email);
    expect(w.store.getState().attachments.map((a) => [a.name, a.size, a.forwarded])).toEqual([
      ['plan.pdf', 300_000, 1],
      ['notes.txt', 19, 2],
    ]);
    w.store.getState().reply(email);
    expect(w.store.getState().attachments).toEqual([]);
  });

  it('the forward’s form shows each attachment as a chip with its size and a named remove button, and Attach files…', async () => {
    const w = world();
    await w.store.getState().load();
    w.store.getState().forward(email);
    // Rendered on the server, a store shows its initial state: this one starts where the forward left it.
    const now = createStore(() => w.store.getState());
    const html = renderToStaticMarkup(
      <StoresProvider stores={{ accounts: now } as unknown as AppStores}>
        <Compose answer={w.store.getState().answer} draft={null} onDone={() => undefined} />
      </StoresProvider>,
    );
    expect(html).toContain('Forward by email');
    expect(html).toContain('<span class="chip-name">plan.pdf</span><span class="muted small">293 KB</span>');
    expect(html).toContain('aria-label="Remove plan.pdf"');
    expect(html).toContain('aria-label="Remove notes.txt"');
    expect(html).toMatch(
      /<button type="button" class="small">Attach files…<\/button><input type="file" multiple="" hidden="" aria-label="Attach files"/,
    );
    expect(html).toContain('293 KB in total');
  });

  it('the attachment row shows progress while a file uploads, and an error the caller gives', () => {
    const html = renderToStaticMarkup(
      <AttachmentsBar
        items={[{ key: 1, name: 'data.bin', size: 2048, uploading: 1024 }]}
        onRemove={() => undefined}
        onFiles={() => undefined}
      >
        <span role="alert">too big</span>
      </AttachmentsBar>,
    );
    expect(html).toContain('<progress class="upload-progress" max="2048" value="1024" aria-label="Uploading data.bin"></progress>');
    expect(html).toContain('<span role="alert">too big</span>');
  });
});
