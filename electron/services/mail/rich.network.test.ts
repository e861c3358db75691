// Formatted mail over real qmail-server processes: a message written with bold, italic, a
// link, lists, a quote and an inline image arrives with that formatting (the reader's
// MessageView carries its CBDF document), its plain text serves search; drafts keep the
// formatting; plain mail stays plain; a broken document is refused at the contract.
import { beforeAll, describe, expect, it } from 'vitest';
import { composeDocument, decodeDocument, encodeDocument, type Phase2Document } from '../../../shared/cbdf/index.js';
import type { MessageView, RequestName } from '../../../shared/ipc/contract.js';
import type { AppServices } from '../app/services.js';
import { nextEvent, openApp, useTestNetwork } from '../app/testing/network.js';

const world = useTestNetwork('qmail-rich-', 3, { pingMaxWaitMs: 1000 });
type Call = (ch: RequestName, input: unknown) => Promise<Record<string, unknown>>;
let alice: Call;
let bob: Call;
let bobApp: AppServices;
let bobAddress: string;

// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const EDITOR = `Hello <b>bold</b> and <i>slanted</i>, see <a href="https://example.org/plan">the plan</a>.<ul><li>one</li><li>two</li></ul><blockquote>a remark</blockquote><img src="data:image/png;base64,${PNG}" alt="dot.png">`;
const documentB64 = Buffer.from(encodeDocument(composeDocument(EDITOR))).toString('base64');

/** A profile as the host runs it, with an identity on the first two nodes; its calls go through the contract's dispatcher. */
async function profile(name: string): Promise<{ services: AppServices; call: Call; address: string }> {
  const { services, call } = openApp(world.dir, name, world.net.directoryUrl, 1000);
  world.track(services);
  await call('vault.create', { passphrase: 'correct horse battery' });
  const ids = world.net.nodes.map((n) => n.nodeId);
  const { address } = await call('identity.create', { name, storage: ids.slice(0, 3), beacon: ids[0]! });
  return { services, call, address: address as string };
}

/** Sends from Alice to Bob through the contract and returns Bob's view of it once it arrived. */
async function delivered(input: Record<string, unknown>): Promise<{ id: string; atBob: MessageView }> {
  const got = nextEvent<{ id: string; subject: string }>(bobApp, 'mail.received', (p) => p.subject === input.subject);
  const { id } = (await alice('mail.send', { to: [bobAddress], stripes: { k: 2, p: 1 }, ...input })) as { id: string };
  const { id: bobId } = await got;
  return { id, atBob: (await bob('mail.get', { id: bobId })) as unknown as MessageView };
}

function formatted(view: MessageView): Phase2Document {
  expect(view.document).toBeDefined();
  const doc = decodeDocument(Buffer.from(view.document!, 'base64'));
  if (doc.kind !== 'phase2') throw new Error('phase 2 expected');
  return doc;
}

function expectFormatting(doc: Phase2Document): void {
  const kinds = new Set(doc.text.map((t) => t.t));
  for (const k of ['styleText', 'link', 'itemBlock', 'styleContainer', 'image']) expect(kinds, k).toContain(k);
  expect(doc.styles.text.records.some((s) => s.bold)).toBe(true);
  expect(doc.styles.text.records.some((s) => s.italic)).toBe(true);
  expect(doc.resources.map((r) => Buffer.from(r.data).toString('base64'))).toEqual([PNG]);
}

beforeAll(async () => {
  alice = (await profile('Alice')).call;
  const b = await profile('Bob');
  bob = b.call;
  bobApp = b.services;
  bobAddress = b.address;
}, 120_000);

describe('formatted mail over real servers', () => {
  it('arrives with its formatting and inline image, its plain text searchable; the sent copy keeps it too', async () => {
    const { id, atBob } = await delivered({ subject: 'Formatted plan', body: 'what the UI typed', document: documentB64 });
    expectFormatting(formatted(atBob));
    // The plain text comes from the document (CBDF → text), not from what the UI put in `body`.
    expect(atBob.body).toContain('Hello bold and slanted, see the plan <https://example.org/plan>.');
    expect(atBob.body).toContain('- one\n- two');
    expect(atBob.body).toContain('[image: dot.png]');
    expect(atBob.body).not.toContain('what the UI typed');
    expect(atBob.preview).toMatch(/^Hello bold and slanted/);
    const found = (await bob('mail.search', { query: 'remark', folder: 'inbox' })) as { items: { id: string }[] };
    expect(found.items.map((m) => m.id)).toEqual([atBob.id]);
    const sent = (await alice('mail.get', { id })) as unknown as MessageView;
    expect(sent.folder).toBe('sent');
    expectFormatting(formatted(sent));
  }, 60_000);

  it("keeps a draft's formatting, and a draft saved plain again loses it", async () => {
    const { id } = (await alice('drafts.save', { to: [bobAddress], subject: 'Formatted draft', body: 'x', document: documentB64 })) as {
      id: string;
    };
    const draft = (await alice('mail.get', { id })) as unknown as MessageView;
    expectFormatting(formatted(draft));
    expect(draft.body).toContain('- one');
    await alice('drafts.save', { id, to: [bobAddress], subject: 'Formatted draft', body: 'Only words now.' });
    const plain = (await alice('mail.get', { id })) as unknown as MessageView;
    expect(plain.document).toBeUndefined();
    expect(plain.body).toBe('Only words now.');
  });

  it('sends plain text as plain text: no document, the words as typed', async () => {
    const { atBob } = await delivered({ subject: 'Plain one', body: 'Line one\n\nLine two' });
    expect(atBob.document).toBeUndefined();
    expect(atBob.body).toBe('Line one\n\nLine two');
  }, 60_000);

  it('a formatted message to ourselves lands in the Inbox too, not only in Sent', async () => {
    const got = nextEvent<{ id: string; subject: string }>(bobApp, 'mail.received', (p) => p.subject === 'Note to self');
    await bob('mail.send', { to: [bobAddress], subject: 'Note to self', body: 'x', document: documentB64, stripes: { k: 2, p: 1 } });
    const { id } = await got;
    const inbox = (await bob('mail.get', { id })) as unknown as MessageView;
    expect(inbox.folder).toBe('inbox');
    expectFormatting(formatted(inbox));
    const sent = (await bob('mail.list', { folder: 'sent' })) as { items: { subject: string }[] };
    expect(sent.items.map((m) => m.subject)).toContain('Note to self');
  }, 60_000);

  it('refuses a formatted body that is not a CBDF Phase II document, before anything is queued', async () => {
    const before = ((await alice('outbox.list', {})) as unknown as unknown[]).length;
    const junk = Buffer.from('not a document at all').toString('base64');
    await expect(alice('mail.send', { to: [bobAddress], subject: 'Junk', body: 'x', document: junk })).rejects.toThrow(
      /invalid_input The formatted text cannot be sent/,
    );
    const phase1 = Buffer.from(encodeDocument({ kind: 'phase1', body: 'plain body' })).toString('base64');
    await expect(alice('drafts.save', { to: [], subject: 'Junk', body: 'x', document: phase1 })).rejects.toThrow(
      /invalid_input .*not a CBDF Phase II document/,
    );
    expect(((await alice('outbox.list', {})) as unknown as unknown[]).length).toBe(before);
  });
});
