import { describe, expect, it } from 'vitest';
import { composeDocument, decodeDocument, encodeDocument, type Phase2Document } from '../../../../shared/cbdf/index.js';
import { legacyBody } from './document.js';
import { MimeError } from './errors.js';
import { buildGatewayMail, replyHeaders, type GatewayMail } from './gateway.js';
import { parseMime } from './parse.js';

const mail: GatewayMail = {
  from: { address: 'me@example.org', name: 'Me Myself' },
  to: ['friend@example.net'],
  cc: ['other@example.com'],
  subject: 'Lunch — Thursday?',
  body: 'Shall we meet at noon?',
  document: encodeDocument(composeDocument('Shall we meet at <b>noon</b>?<ul><li>one</li></ul>')),
  attachments: [{ name: 'map.txt', data: new TextEncoder().encode('north of the river') }],
};

describe('the gateway', () => {
  it('a plain qmail leaves as text and HTML, with attachments and a Message-ID on the sender’s domain', async () => {
    const built = await buildGatewayMail(mail, { kind: 'plain' });
    expect(built.messageId).toMatch(/^<[0-9a-f]{32}@example\.org>$/);
    expect(built.recipients).toEqual(['friend@example.net', 'other@example.com']);
    const m = await parseMime(built.raw);
    expect(m.messageId).toBe(built.messageId);
    expect(m.subject).toBe(mail.subject);
    expect(m.from).toEqual({ address: 'me@example.org', name: 'Me Myself' });
    expect(m.cc.map((a) => a.address)).toEqual(['other@example.com']);
    expect(m.text?.trim()).toBe('Shall we meet at noon?');
    const doc = decodeDocument(legacyBody(m).document!) as Phase2Document;
    expect(doc.styles.text.records.some((s) => s.bold)).toBe(true);
    expect(m.attachments.map((a) => [a.filename, a.size])).toEqual([['map.txt', 18]]);
    expect(m.inReplyTo).toBeUndefined();
  });

  it('a reply names what it answers, so the answer to it threads back', async () => {
    const parent = await parseMime(
      Buffer.from(
        'From: friend@example.net\r\nTo: me@example.org\r\nMessage-ID: <p2@example.net>\r\nReferences: <p0@example.net> <p1@example.net>\r\nSubject: x\r\n\r\nhi',
      ),
    );
    const h = replyHeaders(parent);
    expect(h).toEqual({ inReplyTo: '<p2@example.net>', references: ['<p0@example.net>', '<p1@example.net>', '<p2@example.net>'] });
    const built = await buildGatewayMail({ ...mail, ...h }, { kind: 'plain' });
    const m = await parseMime(built.raw);
    expect(m.inReplyTo).toBe('<p2@example.net>');
    expect(m.references).toEqual(['<p0@example.net>', '<p1@example.net>', '<p2@example.net>']);
    // Their answer to ours names our Message-ID: what the inbox files into the same thread.
    expect(replyHeaders(m).references.at(-1)).toBe(built.messageId);
  });

  it('header injection and non-addresses are refused', async () => {
    const code = (m: GatewayMail) =>
      buildGatewayMail(m, { kind: 'plain' }).then(
        () => 'built',
        (e: unknown) => (e instanceof MimeError ? e.code : String(e)),
      );
    expect(await code({ ...mail, subject: 'hi\r\nBcc: victim@example.com' })).toBe('malformed');
    expect(await code({ ...mail, to: ['not an address'] })).toBe('malformed');
    expect(await code({ ...mail, to: [], cc: [] })).toBe('malformed');
    expect(await code({ ...mail, inReplyTo: '<a@b>\r\nX: y' })).toBe('malformed');
    expect(await code(mail)).toBe('built');
  });
});
