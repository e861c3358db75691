// The client against real qmail-kme pairs over real mutual TLS on loopback.
// Longer than 400 lines on purpose: one pair of KMEs is started once for every case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmePair, type KmeEndpoint, type KmePair } from '../../../server/kme/pair.js';
import { issueCert, makeCa } from '../../../server/kme/certs.js';
import { NONCONFORMING_QUIRKS } from '../../../server/kme/kme.js';
import { KmeClient } from './client.js';
import { KmeError, KmeLimitError } from './errors.js';

let dir: string;
let pair: KmePair;
let strict: KmePair;
let deviant: KmePair;

const fast = { attempts: 3, initialDelayMs: 20, maxDelayMs: 40 };
const clientFor = (e: KmeEndpoint, extra: Partial<ConstructorParameters<typeof KmeClient>[0]> = {}) =>
  KmeClient.fromFiles({ url: e.url, certFile: e.saeCert, keyFile: e.saeKey, caFile: e.ca, decRetry: fast, ...extra });

async function kmeError(p: Promise<unknown>): Promise<KmeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KmeError);
    return e as KmeError;
  }
  throw new Error('expected a KmeError');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qkd-client-'));
  pair = await startKmePair({ dir, capacityBits: 1 << 20, fillRateBitsPerSecond: 0 });
  strict = await startKmePair({ dir, strictTls: true, writeConfig: false });
  deviant = await startKmePair({
    dir,
    writeConfig: false,
    quirks: { htmlErrors: true, exhaustionStatus: 400, dropUnretrieved: true },
    capacityBits: 4096,
    fillRateBitsPerSecond: 0,
  });
});

afterAll(async () => {
  await Promise.all([pair?.close(), strict?.close(), deviant?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('KmeClient against qmail-kme', () => {
  it('alice gets enc_keys at KME A and bob gets the same bytes by dec_keys at KME B (GET and POST)', async () => {
    const alice = clientFor(pair.kmeA);
    const bob = clientFor(pair.kmeB);
    try {
      const st = await alice.status(pair.kmeA.peerSaeId);
      expect(st).toMatchObject({ source_KME_ID: 'KME_A', target_KME_ID: 'KME_B', master_SAE_ID: 'SAE_ALICE', slave_SAE_ID: 'SAE_BOB' });
      const viaGet = await alice.encKeys('SAE_BOB', { number: 3, size: 256, method: 'GET' });
      const viaPost = await alice.encKeys('SAE_BOB', { number: 2, size: 512, method: 'POST', extensionOptional: [{ vendor_hint: 1 }] });
      expect(viaGet.map((k) => k.key.length)).toEqual([32, 32, 32]);
      expect(viaPost.map((k) => k.key.length)).toEqual([64, 64]);
      const one = await bob.decKeys('SAE_ALICE', [viaGet[0]!.keyId], { method: 'GET', expectedSizeBits: 256 });
      expect(one[0]!.key).toEqual(viaGet[0]!.key);
      const rest = await bob.decKeys('SAE_ALICE', [viaPost[1]!.keyId, viaGet[2]!.keyId, viaGet[1]!.keyId, viaPost[0]!.keyId]);
      expect(rest.map((k) => k.key)).toEqual([viaPost[1]!.key, viaGet[2]!.key, viaGet[1]!.key, viaPost[0]!.key]);
      // Consume-once at the KME: the same key_ID is refused the second time.
      const again = await kmeError(bob.decKeys('SAE_ALICE', [viaGet[0]!.keyId]));
      expect(again.code).toBe('key_consumed');
      expect(again.status).toBe(400);
      // The status is truthful: 3x256 + 2x512 bits left the pool.
      const after = await alice.status('SAE_BOB');
      expect(after.stored_key_count).toBe(st.stored_key_count - 7);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('refuses a size that is not a multiple of 8 client-side, and the KME refuses it too', async () => {
    const alice = clientFor(pair.kmeA);
    try {
      const e = await kmeError(alice.encKeys('SAE_BOB', { number: 1, size: 100 }));
      expect(e.code).toBe('invalid_argument');
      expect(e.status).toBeUndefined();
      // Bypass the client: the KME itself answers 400 with the spec's error object.
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(`${pair.kmeA.url}/api/v1/keys/SAE_BOB/enc_keys?number=1&size=100`);
        const req = request(
          u,
          { cert: readFileSync(pair.kmeA.saeCert), key: readFileSync(pair.kmeA.saeKey), ca: readFileSync(pair.kmeA.ca) },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).message).toMatch(/multiple of 8/);
      const bad = await kmeError(alice.decKeys('SAE_BOB', ['not-a-uuid']));
      expect(bad.code).toBe('invalid_argument');
    } finally {
      alice.close();
    }
  });

  it("maps a certificate from another CA, and another SAE's certificate, to unauthorized (401)", async () => {
    const rogueCa = makeCa('rogue');
    const rogue = issueCert(rogueCa, { cn: 'SAE_ALICE', kind: 'client' });
    const c1 = new KmeClient({ url: pair.kmeA.url, cert: rogue.cert, key: rogue.key, ca: readFileSync(pair.kmeA.ca, 'utf8') });
    const c2 = clientFor({ ...pair.kmeA, saeCert: pair.kmeB.saeCert, saeKey: pair.kmeB.saeKey });
    try {
      const e1 = await kmeError(c1.status('SAE_BOB'));
      expect(e1.code).toBe('unauthorized');
      expect(e1.status).toBe(401);
      expect(e1.kmeMessage).toMatch(/not trusted/);
      const e2 = await kmeError(c2.encKeys('SAE_BOB'));
      expect(e2.code).toBe('unauthorized');
      expect(e2.kmeMessage).toMatch(/SAE_BOB is not registered/);
    } finally {
      c1.close();
      c2.close();
    }
  });

  it('maps a missing client certificate to unauthorized, as a 401 and as a TLS handshake refusal', async () => {
    const ca = readFileSync(pair.kmeA.ca, 'utf8');
    const soft = new KmeClient({ url: pair.kmeA.url, ca });
    const hard = new KmeClient({ url: strict.kmeA.url, ca });
    const rogue = issueCert(makeCa('rogue'), { cn: 'SAE_ALICE', kind: 'client' });
    const hardRogue = new KmeClient({ url: strict.kmeA.url, ca, cert: rogue.cert, key: rogue.key });
    try {
      const e1 = await kmeError(soft.status('SAE_BOB'));
      expect([e1.code, e1.status, e1.kmeMessage]).toEqual(['unauthorized', 401, 'no client certificate presented']);
      const e2 = await kmeError(hard.status('SAE_BOB'));
      expect(e2.code).toBe('unauthorized');
      expect(e2.status).toBeUndefined();
      expect(e2.message).toMatch(/TLS handshake|client certificate/);
      const e3 = await kmeError(hardRogue.status('SAE_BOB'));
      expect(e3.code).toBe('unauthorized');
      expect(e3.message).toMatch(/TLS|client certificate/);
    } finally {
      soft.close();
      hard.close();
      hardRogue.close();
    }
  });

  it('refuses a KME whose certificate does not chain to the pinned CA', async () => {
    const other = makeCa('someone else');
    const c = new KmeClient({
      url: pair.kmeA.url,
      ca: other.cert,
      cert: readFileSync(pair.kmeA.saeCert, 'utf8'),
      key: readFileSync(pair.kmeA.saeKey, 'utf8'),
    });
    try {
      const e = await kmeError(c.status('SAE_BOB'));
      expect(e.code).toBe('server_untrusted');
    } finally {
      c.close();
    }
  });

  it("reports exhaustion (503) as exhausted, with the KME's message", async () => {
    const empty = await startKmePair({ dir, writeConfig: false, initialBits: 512, fillRateBitsPerSecond: 0 });
    const alice = clientFor(empty.kmeA);
    try {
      await alice.encKeys('SAE_BOB', { number: 2, size: 256 });
      const e = await kmeError(alice.encKeys('SAE_BOB', { number: 1, size: 256 }));
      expect([e.code, e.status]).toEqual(['exhausted', 503]);
      expect(e.kmeMessage).toMatch(/exhausted/);
      expect((await alice.status('SAE_BOB')).stored_key_count).toBe(0);
    } finally {
      alice.close();
      await empty.close();
    }
  });

  it('retries dec_keys while the peer KME has not received the key yet, then gives a clear error', async () => {
    const lag = await startKmePair({ dir, writeConfig: false, syncDelayMs: 150 });
    const alice = clientFor(lag.kmeA);
    const bob = clientFor(lag.kmeB);
    try {
      const [k1, k2] = await alice.encKeys('SAE_BOB', { number: 2 });
      // Immediately: the key is not at KME B yet; backoff 40+80+160 ms covers the lag.
      const got = await bob.decKeys('SAE_ALICE', [k1!.keyId], { retry: { attempts: 6, initialDelayMs: 40, maxDelayMs: 200 } });
      expect(got[0]!.key).toEqual(k1!.key);
      // Too short a budget: a clear key_not_found that says what happened.
      const [k3] = await alice.encKeys('SAE_BOB', { number: 1 });
      const e = await kmeError(bob.decKeys('SAE_ALICE', [k3!.keyId], { retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 } }));
      expect(e.code).toBe('key_not_found');
      expect(e.message).toMatch(/after 2 attempts.*has not received it yet/);
      expect(k2).toBeDefined();
    } finally {
      alice.close();
      bob.close();
      await lag.close();
    }
  });
});

describe('KmeClient against a non-conforming KME', () => {
  it('reads HTML error pages, treats 400-on-exhaustion as exhaustion, and explains dropped keys', async () => {
    const alice = clientFor(deviant.kmeA);
    const bob = clientFor(deviant.kmeB);
    try {
      const [first] = await alice.encKeys('SAE_BOB', { number: 1, size: 1024 });
      // A later request makes this KME drop the key bob has not fetched yet.
      await alice.encKeys('SAE_BOB', { number: 1, size: 1024 });
      const dropped = await kmeError(bob.decKeys('SAE_ALICE', [first!.keyId]));
      expect(dropped.code).toBe('key_not_found');
      expect(dropped.message).toMatch(/HTML page/);
      expect(dropped.message).toMatch(/dropped it/);
      // HTML 400 instead of 503 when the pool is empty (4096 bits, 2048 used, 4096 asked).
      const ex = await kmeError(alice.encKeys('SAE_BOB', { number: 4, size: 1024 }));
      expect([ex.code, ex.status]).toEqual(['exhausted', 400]);
      expect(ex.message).toMatch(/400 instead of the spec's 503.*HTML page/);
      // An HTML 401 is still unauthorized, with readable text.
      const nobody = new KmeClient({ url: deviant.kmeA.url, ca: readFileSync(deviant.kmeA.ca, 'utf8') });
      const un = await kmeError(nobody.status('SAE_BOB'));
      nobody.close();
      expect(un.code).toBe('unauthorized');
      expect(un.kmeMessage).toMatch(/Unauthorized.*no client certificate presented/);
    } finally {
      alice.close();
      bob.close();
    }
  });
});

// The deviations of `qmail-kme pair --nonconforming`, met in real KMEs and public simulators.
describe("KmeClient against the simulator's non-conforming mode", () => {
  it('asks by POST for several keys or a given size, which this KME ignores on GET', async () => {
    const odd = await startKmePair({ dir, writeConfig: false, quirks: NONCONFORMING_QUIRKS, fillRateBitsPerSecond: 0 });
    const alice = clientFor(odd.kmeA);
    const bob = clientFor(odd.kmeB);
    try {
      const keys = await alice.encKeys('SAE_BOB', { number: 3, size: 512 });
      expect(keys.map((k) => k.key.length)).toEqual([64, 64, 64]);
      const got = await bob.decKeys(
        'SAE_ALICE',
        keys.map((k) => k.keyId),
        { expectedSizeBits: 512 },
      );
      expect(got.map((k) => k.key)).toEqual(keys.map((k) => k.key));
      // One key of the KME's default size still goes by GET, and works.
      const [one] = await alice.encKeys('SAE_BOB');
      expect(one!.key.length).toBe(32);
      // Forced to GET, the short answer is refused, and the message says why.
      const forced = await kmeError(alice.encKeys('SAE_BOB', { number: 2, size: 512, method: 'GET' }));
      expect(forced.code).toBe('malformed_response');
      expect(forced.message).toMatch(/asked for 2 keys and the KME returned 1 .*ignore number or size on GET/);
    } finally {
      alice.close();
      bob.close();
      await odd.close();
    }
  });

  it('falls back to GET when a KME refuses POST enc_keys (405)', async () => {
    const getOnly = await startKmePair({ dir, writeConfig: false, quirks: { noPostEncKeys: true }, fillRateBitsPerSecond: 0 });
    const alice = clientFor(getOnly.kmeA);
    try {
      const keys = await alice.encKeys('SAE_BOB', { number: 2, size: 512 });
      expect(keys.map((k) => k.key.length)).toEqual([64, 64]);
      // Extensions need POST: the 405 stands.
      const ext = await kmeError(alice.encKeys('SAE_BOB', { number: 1, extensionOptional: [{ vendor_hint: 1 }] }));
      expect([ext.code, ext.status]).toEqual(['http_error', 405]);
    } finally {
      alice.close();
      await getOnly.close();
    }
  });

  it("checks number and size against the limits in the KME's status before sending", async () => {
    const limited = await startKmePair({
      dir,
      writeConfig: false,
      quirks: { ...NONCONFORMING_QUIRKS },
      limits: { maxKeyPerRequest: 8, maxKeySizeBits: 4096, minKeySizeBits: 128 },
      fillRateBitsPerSecond: 0,
    });
    const alice = clientFor(limited.kmeA);
    try {
      const before = limited.link.availableBits();
      const cases: Array<[{ number: number; size: number }, string, number, number]> = [
        [{ number: 9, size: 256 }, 'max_key_per_request', 8, 9],
        [{ number: 1, size: 8192 }, 'max_key_size', 4096, 8192],
        [{ number: 1, size: 64 }, 'min_key_size', 128, 64],
      ];
      for (const [req, limit, allowed, requested] of cases) {
        const e = await kmeError(alice.encKeys('SAE_BOB', req));
        expect(e).toBeInstanceOf(KmeLimitError);
        expect(e).toMatchObject({ code: 'invalid_argument', limit, allowed, requested });
        expect(e.status).toBeUndefined(); // refused here, not by the KME
        expect(e.message).toContain(`(${limit} in its status)`);
        expect(e.message).toContain('KME_A');
      }
      expect(limited.link.availableBits()).toBe(before);
      // Within the limits the same client is served.
      expect(await alice.encKeys('SAE_BOB', { number: 8, size: 4096 })).toHaveLength(8);
      // dec_keys: the limit is checked once the status is known (bob asks for it here).
      const bob = clientFor(limited.kmeB);
      await bob.status('SAE_ALICE');
      const ids = Array.from({ length: 9 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);
      const dec = await kmeError(bob.decKeys('SAE_ALICE', ids));
      expect(dec).toMatchObject({ code: 'invalid_argument', limit: 'max_key_per_request', allowed: 8, requested: 9 });
      bob.close();
      // Unchecked beforehand, and refused by a 400 that says nothing: the status explains it afterwards.
      limited.nodes.a.quirks.messages = { sizeTooLarge: 'Bad Request' };
      const blind = clientFor(limited.kmeA, { checkStatusLimits: false });
      const late = await kmeError(blind.encKeys('SAE_BOB', { number: 1, size: 8192 }));
      blind.close();
      expect(late).toBeInstanceOf(KmeLimitError);
      expect(late).toMatchObject({ limit: 'max_key_size', allowed: 4096, requested: 8192, status: 400 });
      expect(late.message).toMatch(/max_key_size in its status.*answered 400/);
    } finally {
      alice.close();
      await limited.close();
    }
  });

  it("keeps the KME's own message on a 400 about the request, instead of calling the pool empty", async () => {
    // The status announces generous limits; the KME enforces tighter ones and says so.
    const misannounced = await startKmePair({
      dir,
      writeConfig: false,
      capacityBits: 4096,
      fillRateBitsPerSecond: 0,
      quirks: { ...NONCONFORMING_QUIRKS, announcedLimits: { maxKeySizeBits: 65536, maxKeyPerRequest: 1024 } },
      limits: { maxKeySizeBits: 2048, maxKeyPerRequest: 4 },
    });
    const alice = clientFor(misannounced.kmeA);
    try {
      // 8192 bits and 20 x 256 bits are both more than the 4096-bit pool holds.
      const size = await kmeError(alice.encKeys('SAE_BOB', { number: 1, size: 8192 }));
      expect([size.code, size.status]).toEqual(['bad_request', 400]);
      expect(size.kmeMessage).toContain('requested key size is too large');
      expect(size.message).toMatch(/refused the enc_keys request \(400\).*requested key size is too large/);
      const many = await kmeError(alice.encKeys('SAE_BOB', { number: 20, size: 256 }));
      expect([many.code, many.status]).toEqual(['bad_request', 400]);
      expect(many.kmeMessage).toContain('requested number of keys is too large');
      // A real shortage is still called one (the 400-for-503 deviation).
      await alice.encKeys('SAE_BOB', { number: 4, size: 512 });
      const empty = await kmeError(alice.encKeys('SAE_BOB', { number: 4, size: 1024 }));
      expect([empty.code, empty.status]).toEqual(['exhausted', 400]);
    } finally {
      alice.close();
      await misannounced.close();
    }
  });

  it('takes the phrasings real KMEs use for an unknown key_ID as not found, and retries while the peer KME lags', async () => {
    const lagging = await startKmePair({
      dir,
      writeConfig: false,
      syncDelayMs: 120,
      quirks: { ...NONCONFORMING_QUIRKS, dropUnretrieved: false },
      fillRateBitsPerSecond: 0,
    });
    const alice = clientFor(lagging.kmeA);
    const bob = clientFor(lagging.kmeB);
    const patient = { attempts: 8, initialDelayMs: 30, maxDelayMs: 100 };
    const phrasings = [
      'Some of the requested keys do not exist',
      'The requested key does not exist',
      "key doesn't exist",
      'Key not found',
      'unknown key_ID',
      'Key ID is unknown',
      'No key with this key_ID',
      'keys not yet available',
    ];
    try {
      for (const said of phrasings) {
        lagging.nodes.b.quirks.messages = { keyNotFound: said };
        const [k] = await alice.encKeys('SAE_BOB');
        // Asked at once, before the key reached KME B: retried until it is there.
        const got = await bob.decKeys('SAE_ALICE', [k!.keyId], { retry: patient });
        expect(got[0]!.key, said).toEqual(k!.key);
        // With too short a budget: key_not_found after the bounded number of attempts, with the KME's words.
        const [k2] = await alice.encKeys('SAE_BOB');
        const e = await kmeError(bob.decKeys('SAE_ALICE', [k2!.keyId], { retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 5 } }));
        expect(e.code, said).toBe('key_not_found');
        expect(e.message).toMatch(/after 2 attempts/);
        expect(e.kmeMessage).toContain(said);
      }
      // "Already retrieved" is not retried: it stays key_consumed.
      const [k3] = await alice.encKeys('SAE_BOB');
      await bob.decKeys('SAE_ALICE', [k3!.keyId], { retry: patient });
      const again = await kmeError(bob.decKeys('SAE_ALICE', [k3!.keyId], { retry: patient }));
      expect(again.code).toBe('key_consumed');
    } finally {
      alice.close();
      bob.close();
      await lagging.close();
    }
  });
});
