// L1 and L2 end to end: alice (SAE_ALICE behind KME A) and bob (SAE_BOB behind KME B) over
// real qmail-server processes and a real qmail-kme pair with mutual TLS, driven through the
// contract. The sender takes enc_keys from KME A, the capsule names the key IDs, bob gets the
// same keys by dec_keys from KME B; exhaustion is refused or, when allowed, sent at L3 and said
// so; a key ID is never used twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { AppServices } from '../../electron/services/app/services.js';
import { useTestNetwork } from '../../electron/services/app/testing/network.js';
import { KmeClient } from '../../electron/services/qkd/client.js';
import { createDispatcher, type MessageView, type RequestInput, type RequestName, type RequestOutput } from '../../shared/ipc/index.js';
import { startKmePair, type KmePair } from '../../server/kme/index.js';

const world = useTestNetwork('qmail-qkd-int-', 5, { pingMaxWaitMs: 1000 });
let kme: KmePair;
const users: Record<string, AppServices> = {};
const address: Record<string, string> = {};

/** Calls a handler through the contract's validation, as the UI does; throws the contract error. */
async function call<K extends RequestName>(app: AppServices, name: K, input: RequestInput<K>): Promise<RequestOutput<K>> {
  const r = await createDispatcher(app.handlers)(name, input);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as RequestOutput<K>;
}

async function user(name: string): Promise<AppServices> {
  // No read-ahead, so the pool the KME reports is exactly what a message can take.
  const made = await world.user(name, name, { mail: { retryBaseMs: 300, maxAttempts: 4, qkd: { prefetchKeys: 0 } } });
  address[name] = made.address;
  return made.app;
}

async function receive(app: AppServices, subject: string): Promise<MessageView> {
  for (let i = 0; i < 30; i++) {
    await app.mail.refresh();
    const hit = app.messages.list('inbox', 0, 500).items.find((m) => m.subject === subject);
    if (hit) return call(app, 'mail.get', { id: hit.id });
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${subject} did not arrive`);
}

async function sendAndWait(level: 'L1' | 'L2' | 'L3', subject: string, extra: { allowFallback?: boolean } = {}) {
  const alice = users.alice!;
  alice.mail.start();
  const r = await call(alice, 'mail.send', {
    to: [address.bob!],
    subject,
    body: `${level} body: the pad is used once.`,
    level,
    stripes: { k: 4, p: 1 },
    ...extra,
  });
  return { queued: r.outbox, done: await alice.mail.waitFor(r.id) };
}

function sentView(subject: string): MessageView {
  const alice = users.alice!;
  const m = alice.messages.list('sent', 0, 100).items.find((x) => x.subject === subject)!;
  return alice.mail.view(m.id) as MessageView;
}

beforeAll(async () => {
  // Mutual TLS enforced in the handshake; a pool that never refills, so exhaustion is ours to make.
  kme = await startKmePair({ dir: join(world.dir, 'kme'), strictTls: true, capacityBits: 1 << 20, fillRateBitsPerSecond: 0 });
  users.alice = await user('alice');
  users.bob = await user('bob');
}, 120_000);

afterAll(async () => {
  await kme?.close();
}, 30_000);

describe('qmail at L1 and L2 through a real KME pair', () => {
  it('offers no QKD level before a KME is configured, then imports kme.json and tests the connection', async () => {
    const alice = users.alice!;
    const before = await call(alice, 'qkd.levels', { to: [address.bob!], bodyBytes: 100 });
    expect(before.levels.find((l) => l.level === 'L1')).toMatchObject({ available: false, reason: 'no KME configured', quantum: true });
    expect(before.levels.find((l) => l.level === 'L3')).toMatchObject({ available: true, quantum: false });
    await expect(call(alice, 'mail.send', { to: [address.bob!], subject: 'x', body: 'x', level: 'L2' })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/L2 is unavailable: no KME configured.*L3/),
    });
    expect((await call(alice, 'qkd.test', {})).ok).toBe(false);

    // Alice: side A with bob's SAE as the default peer. Bob: side B, alice named per correspondent.
    const a = await call(alice, 'qkd.settings.set', { import: { path: kme.configPath, side: 'A' } });
    expect(a.settings).toMatchObject({ saeId: 'SAE_ALICE', defaultPeerSaeId: 'SAE_BOB', url: kme.kmeA.url });
    const b = await call(users.bob!, 'qkd.settings.set', {
      settings: {
        url: kme.kmeB.url,
        saeId: kme.kmeB.saeId,
        peers: { [address.alice!]: kme.kmeB.peerSaeId },
        certFile: kme.kmeB.saeCert,
        keyFile: kme.kmeB.saeKey,
        caFile: kme.kmeB.ca,
      },
    });
    expect(b.settings?.peers).toEqual({ [address.alice!]: 'SAE_ALICE' });
    expect((await call(users.bob!, 'qkd.settings.get', {})).configured).toBe(true);
    // The settings are sealed: the row does not contain the URL or the SAE ID in clear.
    const row = users.bob!.db.prepare('SELECT sealed FROM qkd_settings').get() as { sealed: Buffer };
    expect(row.sealed.includes(Buffer.from('SAE_BOB'))).toBe(false);

    const t = await call(alice, 'qkd.test', {});
    expect(t).toMatchObject({ ok: true, status: { sourceKmeId: kme.kmeA.kmeId, targetKmeId: kme.kmeB.kmeId } });
    expect(t.message).toMatch(/Connected to KME .* keys of 256 bits ready/);
    const tb = await call(users.bob!, 'qkd.test', { peer: address.alice! });
    expect(tb.ok).toBe(true);
    // A wrong file is refused with the reason.
    await expect(
      call(alice, 'qkd.settings.set', { settings: { ...a.settings!, caFile: join(world.dir, 'nope.pem') } }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/CA certificate/) });

    const now = await call(alice, 'qkd.levels', { to: [address.bob!], bodyBytes: 100 });
    expect(now.levels.filter((l) => l.available).map((l) => l.level)).toEqual(['L1', 'L2', 'L3', 'L4']);
  }, 60_000);

  const issued: string[] = [];

  for (const level of ['L1', 'L2'] as const) {
    it(`alice sends at ${level}; bob opens it with the same keys from his own KME`, async () => {
      const subject = `quantum ${level}`;
      const { queued, done } = await sendAndWait(level, subject);
      expect(queued.level).toBe(level);
      expect(done.state).toBe('sent');
      const sent = sentView(subject).certificate!;
      expect(sent).toMatchObject({ direction: 'sent', level, quantumSecured: true });
      const aliceKeys = sent.qkd!.find((q) => q.recipient === address.bob)!;
      // L1: 4+1 stripes → 205 bytes of pad + MAC key → 7 keys of 256 bits; L2: one key.
      expect(aliceKeys.keys).toHaveLength(level === 'L1' ? 7 : 1);
      expect(aliceKeys.kmeIds).toEqual([kme.kmeA.kmeId]);

      const got = await receive(users.bob!, subject);
      expect(got.level).toBe(level);
      expect(got.body).toBe(`${level} body: the pad is used once.`);
      const cert = got.certificate!;
      expect(cert).toMatchObject({ direction: 'received', level, quantumSecured: true, signatureVerified: true, stripes: { k: 4, p: 1 } });
      expect(cert.algorithms.signature).toBe('ML-DSA-65');
      expect(cert.algorithms.stripes).toBe('AES-256-CTR + HMAC-SHA-256 per stripe');
      expect(cert.algorithms.capsule).toMatch(level === 'L1' ? /one-time pad/ : /HKDF-SHA-256 → AES-256-GCM/);
      expect(cert.senderFingerprint).toBe((await call(users.alice!, 'identity.state', {})).fingerprint);
      expect(cert.servers.map((s) => s.port).sort()).toEqual(sent.servers.map((s) => s.port).sort());
      // The key IDs bob used are the ones KME A issued to alice, and KME B's own record says it delivered them.
      expect(cert.qkd![0]!.keys).toEqual(aliceKeys.keys);
      for (const k of aliceKeys.keys) expect(kme.nodes.b.retrieved.has(k.keyId)).toBe(true);
      expect(aliceKeys.keys.some((k) => issued.includes(k.keyId))).toBe(false);
      issued.push(...aliceKeys.keys.map((k) => k.keyId));
    }, 90_000);
  }

  it('a key ID cannot be used twice: not by bob again, not from the KME again', async () => {
    expect(issued.length).toBe(8);
    const refs = [{ keyId: issued[0]!, kmeId: kme.kmeA.kmeId }];
    const source = users.bob!.mail.qkd.source()!;
    await expect(source.getDecKeys(refs, 'SAE_ALICE')).rejects.toMatchObject({ code: 'key_reused' });
    // Even a client that skips our ledger gets nothing: the KME hands each key out once.
    const raw = KmeClient.fromFiles({ url: kme.kmeB.url, certFile: kme.kmeB.saeCert, keyFile: kme.kmeB.saeKey, caFile: kme.kmeB.ca });
    try {
      await expect(raw.decKeys('SAE_ALICE', [issued[1]!])).rejects.toMatchObject({ code: 'key_consumed' });
    } finally {
      raw.close();
    }
    // And the sender never gets an issued key again.
    const fresh = await users.alice!.mail.qkd.source()!.getEncKeys(256);
    expect(issued).not.toContain(fresh[0]!.keyId);
  }, 30_000);

  it('keys running out after the message was queued: the outbox item fails with the reason, nothing is downgraded', async () => {
    const alice = users.alice!;
    await alice.mail.stop(); // hold the outbox
    const r = await call(alice, 'mail.send', { to: [address.bob!], subject: 'ran out', body: 'x', level: 'L2', stripes: { k: 4, p: 1 } });
    expect(r.outbox).toMatchObject({ state: 'queued', level: 'L2' });
    kme.link.drain();
    alice.mail.start();
    const done = await alice.mail.waitFor(r.id);
    expect(done.state).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatch(/L2 is unavailable: key pool exhausted.*send at L3/);
    expect(done.fallback).toBeUndefined();
    expect(alice.messages.list('sent', 0, 100).items.some((m) => m.subject === 'ran out')).toBe(false);
    await call(alice, 'outbox.cancel', { id: r.id });
  }, 60_000);

  it('an exhausted pool: levels say why, mail.send refuses, and with fallback allowed it goes at L3 and says so', async () => {
    const alice = users.alice!;
    const lv = await call(alice, 'qkd.levels', { to: [address.bob!], bodyBytes: 2000 });
    for (const l of lv.levels.filter((x) => x.quantum))
      expect(l).toMatchObject({ available: false, reason: expect.stringMatching(/key pool exhausted/) });
    await expect(call(alice, 'mail.send', { to: [address.bob!], subject: 'refused', body: 'x', level: 'L1' })).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/^L1 is unavailable: key pool exhausted.*send at L3 \(post-quantum\) instead, or allow fallback/),
    });
    expect(alice.mail.outbox().some((o) => o.subject === 'refused')).toBe(false);

    const { queued, done } = await sendAndWait('L1', 'fell back', { allowFallback: true });
    expect(queued).toMatchObject({ level: 'L3', fallback: { from: 'L1', reason: expect.stringMatching(/exhausted/) } });
    expect(done.state).toBe('sent');
    expect(sentView('fell back').certificate).toMatchObject({ level: 'L3', quantumSecured: false, fallback: { from: 'L1' } });
    expect(sentView('fell back').level).toBe('L3');
    const got = await receive(users.bob!, 'fell back');
    expect(got.level).toBe('L3');
    expect(got.certificate).toMatchObject({ level: 'L3', quantumSecured: false, signatureVerified: true });
    expect(got.certificate!.qkd).toBeUndefined();
    expect(got.certificate!.algorithms.capsule).toMatch(/X-Wing/);
  }, 90_000);
});
