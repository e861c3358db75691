import { describe, expect, it } from 'vitest';
import { MemoryQkdLink } from '../../../../shared/capsule/index.js';
import { identityFromSeed, publicIdentity, type Identity, type PublicIdentity } from '../../../../shared/identity/index.js';
import {
  ENCRYPTED_KEEP_TYPES,
  LEVEL_ALGORITHM,
  PLACEHOLDER_SUBJECT,
  buildEncryptedMime,
  decodePayload,
  isEncrypted,
  openLegacy,
  sealLegacy,
  type LegacyLevel,
} from './encrypted.js';
import { MimeError } from './errors.js';
import { buildGatewayMail } from './gateway.js';
import { parseMime, type ParsedMessage } from './parse.js';

const seed = (b: number) => new Uint8Array(32).fill(b);
const alice = identityFromSeed(seed(1), Uint8Array.of(0, 6, 1, 0x10, 0, 0, 0));
const bob = identityFromSeed(seed(2), Uint8Array.of(0, 6, 1, 0x20, 0, 0, 0));
const carol = identityFromSeed(seed(3), Uint8Array.of(0, 6, 1, 0x30, 0, 0, 0));
const directory = new Map<string, PublicIdentity>(
  [alice, bob, carol].map((i) => [Buffer.from(i.address!).toString('hex'), publicIdentity(i)]),
);
const resolveSender = async (a: Uint8Array) => directory.get(Buffer.from(a).toString('hex'));

const SUBJECT = 'Quarterly numbers, do not share';
const BODY = 'The figures are attached. Meet Tuesday.';

async function send(level: LegacyLevel, link?: MemoryQkdLink, to: Identity = bob) {
  return buildGatewayMail(
    {
      from: { address: 'alice@example.org', name: 'Alice' },
      to: ['bob@example.net'],
      subject: SUBJECT,
      body: BODY,
      attachments: [{ name: 'numbers.csv', data: new TextEncoder().encode('q1,12\nq2,14\n') }],
      inReplyTo: '<root-1@example.net>',
      references: ['<root-1@example.net>'],
    },
    { kind: 'encrypted', level, sender: alice, recipients: [{ identity: publicIdentity(to) }], ...(link ? { qkd: link.sender } : {}) },
  );
}
const parse = (raw: Uint8Array) => parseMime(raw, { keepTypes: ENCRYPTED_KEEP_TYPES });

describe('encrypted mail over a legacy account', () => {
  for (const level of [1, 2, 3] as const) {
    it(`L${level}: the subject and body travel only inside; the recipient opens it and gets what the certificate needs`, async () => {
      const link = level < 3 ? new MemoryQkdLink() : undefined;
      const { raw, messageId } = await send(level, link);
      const text = raw.toString('latin1');
      expect(text).not.toContain('Quarterly');
      expect(text).not.toContain('figures');
      expect(text).not.toContain('numbers.csv');
      expect(text).toMatch(/Content-Type: multipart\/encrypted;[\s\S]*protocol="application\/x-qmail-encrypted"/);
      const m = await parse(raw);
      expect(isEncrypted(m)).toBe(true);
      expect(m.subject).toBe(PLACEHOLDER_SUBJECT);
      expect(m.messageId).toBe(messageId);
      expect(m.inReplyTo).toBe('<root-1@example.net>');
      expect(m.text).toContain('encrypted with QMail Desktop');
      expect(m.qkdHeaders['x-qkd-security-level']).toBe(String(level));
      expect(m.qkdHeaders['x-qkd-algorithm']).toBe(LEVEL_ALGORITHM[level]);
      expect(m.qkdHeaders['x-qkd-secure']).toBe('true');
      const opened = await openLegacy(m, { me: bob, resolveSender, ...(link ? { qkd: link.receiver } : {}) });
      expect(opened.level).toBe(level);
      expect(opened.letter.subject).toBe(SUBJECT);
      expect(opened.letter.body).toBe(BODY);
      expect(opened.letter.attachments.map((a) => [a.name, new TextDecoder().decode(a.data)])).toEqual([['numbers.csv', 'q1,12\nq2,14\n']]);
      expect(opened.senderFingerprint).toMatch(/^\d{5}( \d{5}){5}$/);
      if (level < 3) {
        expect(opened.qkdKeys!.length).toBeGreaterThan(0);
        expect(m.qkdHeaders['x-qkd-key-id']).toBe(opened.qkdKeys!.map((k) => k.keyId).join(','));
      } else expect(m.qkdHeaders['x-qkd-key-id']).toMatch(/^[0-9a-f]{32}$/);
    });
  }

  async function reopen(m: ParsedMessage, me: Identity = bob) {
    return openLegacy(m, { me, resolveSender }).then(
      () => 'opened',
      (e: unknown) => (e instanceof MimeError ? e.code : `untyped: ${String(e)}`),
    );
  }

  it('a header changed in transit is tampering, reported, not shown', async () => {
    const m = await parse((await send(3)).raw);
    expect(await reopen({ ...m, qkdHeaders: { ...m.qkdHeaders, 'x-qkd-security-level': '2' } })).toBe('tampered');
    expect(await reopen({ ...m, qkdHeaders: { ...m.qkdHeaders, 'x-qkd-algorithm': 'NONE' } })).toBe('tampered');
    expect(await reopen({ ...m, qkdHeaders: { ...m.qkdHeaders, 'x-qkd-key-id': '00'.repeat(16) } })).toBe('tampered');
    expect(await reopen({ ...m, attachments: m.attachments.filter((a) => a.contentType !== 'application/octet-stream') })).toBe('tampered');
    expect(await reopen(m)).toBe('opened');
  });

  it('any flipped byte of the capsule, its signature or the stripes is tampering', async () => {
    const m = await parse((await send(3)).raw);
    const i = m.attachments.findIndex((a) => a.contentType === 'application/octet-stream');
    const payload = m.attachments[i]!.data!;
    const p = decodePayload(payload);
    const capsuleAt = payload.length - p.slots[0].length * 2 - p.capsules[0]!.length;
    const where = {
      'capsule header': capsuleAt + 40,
      'capsule signature': capsuleAt + p.capsules[0]!.length - 5,
      'first stripe': payload.length - p.slots[0].length * 2 + 3,
      'last stripe MAC': payload.length - 10,
    };
    for (const [what, at] of Object.entries(where)) {
      const bad = payload.slice();
      bad[at]! ^= 0x01;
      const altered = { ...m, attachments: m.attachments.map((a, j) => (j === i ? { ...a, data: bad } : a)) };
      expect([what, await reopen(altered)]).toEqual([what, 'tampered']);
    }
  });

  it('a truncated or foreign payload is a typed error, never an untyped one', async () => {
    const m = await parse((await send(3)).raw);
    const i = m.attachments.findIndex((a) => a.contentType === 'application/octet-stream');
    const payload = m.attachments[i]!.data!;
    for (const cut of [0, 3, 10, 3000, payload.length - 1]) {
      const altered = { ...m, attachments: m.attachments.map((a, j) => (j === i ? { ...a, data: payload.slice(0, cut) } : a)) };
      expect(['malformed', 'unsupported', 'tampered']).toContain(await reopen(altered));
    }
  });

  it('a sender whose identity is not the directory’s, and a message for someone else, are refused by name', async () => {
    const m = await parse((await send(3)).raw);
    await expect(openLegacy(m, { me: bob, resolveSender: async () => publicIdentity(carol) })).rejects.toMatchObject({
      code: 'unknown_sender',
    });
    await expect(openLegacy(m, { me: bob, resolveSender: async () => undefined })).rejects.toMatchObject({ code: 'unknown_sender' });
    expect(await reopen(m, carol)).toBe('not_for_us');
  });

  it('L1/L2 keys a recipient cannot get are named, not mistaken for tampering', async () => {
    const link = new MemoryQkdLink();
    const m = await parse((await send(2, link)).raw);
    await expect(openLegacy(m, { me: bob, resolveSender, qkd: new MemoryQkdLink().receiver })).rejects.toMatchObject({
      code: 'keys_unavailable',
    });
  });

  it('plain mail is not taken for encrypted mail, and a message claiming X-QKD-Secure without its parts is tampering', async () => {
    const plain = await parse(Buffer.from('From: a@b.c\r\nTo: d@e.f\r\nSubject: hi\r\n\r\nhello\r\n'));
    expect(isEncrypted(plain)).toBe(false);
    await expect(openLegacy(plain, { me: bob, resolveSender })).rejects.toMatchObject({ code: 'not_encrypted' });
    const claims = await parse(Buffer.from('From: a@b.c\r\nTo: d@e.f\r\nX-QKD-Secure: true\r\nSubject: hi\r\n\r\nhello\r\n'));
    await expect(openLegacy(claims, { me: bob, resolveSender })).rejects.toMatchObject({ code: 'tampered' });
  });

  it('one message for several QMail Desktop recipients: each opens its own capsule', async () => {
    const { payload, headers } = await sealLegacy(
      { subject: 's', body: 'b', timestamp: 1, attachments: [] },
      { level: 3, sender: alice, recipients: [{ identity: publicIdentity(bob) }, { identity: publicIdentity(carol) }] },
    );
    const m = await parse(
      await buildEncryptedMime(payload, headers, { From: 'alice@example.org', To: 'bob@example.net, carol@example.com' }),
    );
    expect((await openLegacy(m, { me: bob, resolveSender })).letter.subject).toBe('s');
    expect((await openLegacy(m, { me: carol, resolveSender })).letter.subject).toBe('s');
  });
});
