import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import {
  allocateMessage,
  identityMessage,
  startDirectory,
  type IdentityRecord,
  type RunningDirectory,
} from '../../server/directory/server.js';
import { loadOperatorKey, makeDescriptor, signDescriptor, verifyDescriptor, DescriptorError } from '../../server/directory/descriptor.js';
import { parseConfig } from '../../server/config.js';
import { startServer } from '../../server/node.js';
import { chooseDefault } from '../../electron/services/identity/onboarding.js';
import { DirectoryClient } from '../../electron/services/directory/client.js';

let d: RunningDirectory;
let dir: string;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(d.url + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function person(name: string) {
  const keys = ml_dsa65.keygen(new Uint8Array(randomBytes(32)));
  const signingKey = b64(keys.publicKey);
  return { name, keys, signingKey, proof: b64(ml_dsa65.sign(allocateMessage(name, signingKey), keys.secretKey)) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-dir-'));
  d = await startDirectory({ dataDir: dir });
});
afterAll(async () => {
  await d?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('directory', () => {
  it('accepts signed descriptors, refuses tampered or replayed ones', async () => {
    const key = loadOperatorKey(join(dir, 'op'));
    expect(loadOperatorKey(join(dir, 'op')).publicKey).toEqual(key.publicKey); // persisted
    const cfg = parseConfig({ dataDir: join(dir, 'op'), operator: { pricePerMbMonth: 0.5, jurisdiction: 'CH' } });
    const sd = makeDescriptor(cfg, key, { host: '127.0.0.1', port: 7100, startedAt: Date.now() - 5000, now: Date.now() });
    expect(sd.descriptor.uptimeSeconds).toBe(5);
    expect((await call('POST', '/v1/servers', { descriptor: sd.descriptor, signature: sd.signature })).status).toBe(200);
    expect((await call('POST', '/v1/servers', { descriptor: sd.descriptor, signature: sd.signature })).status).toBe(409);
    const tampered = { descriptor: { ...sd.descriptor, pricePerMbMonth: 0 }, signature: sd.signature };
    expect(() => verifyDescriptor(tampered)).toThrow(DescriptorError);
    const r = await call('POST', '/v1/servers', tampered);
    expect(r.status).toBe(400);
    const list = await call('GET', '/v1/servers');
    expect((list.json.servers as { descriptor: { jurisdiction: string } }[]).map((s) => s.descriptor.jurisdiction)).toEqual(['CH']);
    const one = await call('GET', `/v1/servers/${sd.nodeId}`);
    expect(one.status).toBe(200);
    const other = signDescriptor({ ...sd.descriptor, issuedAt: sd.descriptor.issuedAt + 1 }, loadOperatorKey(join(dir, 'op2')));
    expect(other.nodeId).not.toBe(sd.nodeId);
  });

  it('allocates distinct serials per key, binds them with a record the identity signs, finds by prefix', async () => {
    const alice = person('Alice Liddell');
    const bob = person('Bob');
    const a1 = await call('POST', '/v1/addresses', { name: alice.name, signingKey: alice.signingKey, proof: alice.proof });
    const a2 = await call('POST', '/v1/addresses', { name: alice.name, signingKey: alice.signingKey, proof: alice.proof });
    const b1 = await call('POST', '/v1/addresses', { name: bob.name, signingKey: bob.signingKey, proof: bob.proof });
    expect(a1.status).toBe(200);
    expect(a1.json.address).toBe(a2.json.address); // idempotent per key
    expect(b1.json.address).not.toBe(a1.json.address);
    expect(String(a1.json.address)).toMatch(/^0006\.0\.\d+$/);
    // a proof made by another key is refused
    expect((await call('POST', '/v1/addresses', { name: 'Mallory', signingKey: alice.signingKey, proof: bob.proof })).status).toBe(403);

    const rec: IdentityRecord = {
      v: 1,
      address: String(a1.json.address),
      name: alice.name,
      signingKey: alice.signingKey,
      keys: { 'ML-KEM-768': b64(new Uint8Array(8)) },
      beacon: null,
      servers: [],
      updatedAt: 1,
    };
    const sig = b64(ml_dsa65.sign(identityMessage(rec), alice.keys.secretKey));
    const path = `/v1/identities/${encodeURIComponent(rec.address)}`;
    // bob cannot bind alice's address, even signing with his own key
    const forged = { ...rec, signingKey: bob.signingKey };
    expect(
      (await call('PUT', path, { record: forged, signature: b64(ml_dsa65.sign(identityMessage(forged), bob.keys.secretKey)) })).status,
    ).toBe(403);
    expect((await call('PUT', path, { record: { ...rec, name: 'Eve' }, signature: sig })).status).toBe(403);
    expect((await call('PUT', path, { record: rec, signature: sig })).status).toBe(200);
    expect((await call('PUT', path, { record: rec, signature: sig })).status).toBe(409); // not newer
    const got = await call('GET', path);
    expect((got.json.record as IdentityRecord).signingKey).toBe(alice.signingKey);
    const found = await call('GET', '/v1/identities?prefix=ALI&limit=5');
    expect((found.json.identities as { record: IdentityRecord }[]).map((i) => i.record.name)).toEqual(['Alice Liddell']);
    expect(((await call('GET', '/v1/identities?prefix=%25')).json.identities as unknown[]).length).toBe(0);
    expect((await call('GET', '/v1/identities/0006.0.99999999')).status).toBe(404);
  });

  it('finds identities by any word or part of a name and by address, case-insensitive, name starts first', async () => {
    const publish = async (name: string) => {
      const p = person(name);
      const address = String((await call('POST', '/v1/addresses', { name, signingKey: p.signingKey, proof: p.proof })).json.address);
      const rec: IdentityRecord = { v: 1, address, name, signingKey: p.signingKey, keys: {}, beacon: null, servers: [], updatedAt: 1 };
      expect(
        (
          await call('PUT', `/v1/identities/${address}`, {
            record: rec,
            signature: b64(ml_dsa65.sign(identityMessage(rec), p.keys.secretKey)),
          })
        ).status,
      ).toBe(200);
      return address;
    };
    const corr = await publish('QMail Correspondent');
    await publish('Correspondence Desk');
    await publish('Grace Hopper');
    const names = async (q: string) =>
      ((await call('GET', `/v1/identities?q=${encodeURIComponent(q)}&limit=10`)).json.identities as { record: IdentityRecord }[]).map(
        (i) => i.record.name,
      );
    expect(await names('corr')).toEqual(['Correspondence Desk', 'QMail Correspondent']);
    expect(await names('Correspondent')).toEqual(['QMail Correspondent']);
    expect(await names('SPONDENT')).toEqual(['QMail Correspondent']);
    expect(await names(corr)).toEqual(['QMail Correspondent']);
    expect(await names(corr.slice(2))).toEqual(['QMail Correspondent']);
    expect(await names('ace hop')).toEqual(['Grace Hopper']);
    expect(await names('%')).toEqual([]);
    expect(await names('  ')).toEqual([]);
  });

  it('rejects hostile requests with typed HTTP errors and keeps serving', async () => {
    expect((await call('POST', '/v1/addresses', '{not json')).status).toBe(400);
    expect((await call('POST', '/v1/addresses', { name: 'x', signingKey: 'AAAA', proof: 'AAAA', extra: 1 })).status).toBe(400);
    expect((await call('POST', '/v1/servers', 'x'.repeat(70_000))).status).toBe(413);
    expect((await call('DELETE', '/v1/servers')).status).toBe(405);
    expect((await call('GET', '/nope')).status).toBe(404);
    const res = await fetch(d.url + '/v1/addresses', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
    expect((await call('GET', '/v1/health')).json).toEqual({ ok: true });
  });
});

describe('directory measurements', () => {
  it('measures uptime, availability and latency by probing, and starts a new server from zero whatever it claims', async () => {
    const pdir = mkdtempSync(join(tmpdir(), 'qmail-probe-'));
    const probing = await startDirectory({ dataDir: join(pdir, 'dir'), probeIntervalMs: 150, probeTimeoutMs: 1000 });
    const node = await startServer({ dataDir: join(pdir, 'node'), storage: { durable: false }, log: { level: 'silent' } });
    try {
      const honest = loadOperatorKey(join(pdir, 'node'));
      const claim = (port: number, uptimeSeconds: number, key = honest) =>
        signDescriptor({ ...node.descriptor.descriptor, port, uptimeSeconds, issuedAt: Date.now() }, key);
      const post = (sd: ReturnType<typeof claim>) =>
        fetch(probing.url + '/v1/servers', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ descriptor: sd.descriptor, signature: sd.signature }),
        });
      // A reachable node claiming little, and a dead port claiming 57 years.
      expect((await post(claim(node.port, 1))).status).toBe(200);
      const liar = loadOperatorKey(join(pdir, 'liar'));
      const dead = claim(1, 57 * 365 * 86_400, liar);
      expect((await post(dead)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1400));
      const list = await new DirectoryClient(probing.url).servers();
      const up = list.find((s) => s.nodeId !== dead.nodeId)!;
      const down = list.find((s) => s.nodeId === dead.nodeId)!;
      expect(up.measured!.successRatio).toBe(1);
      expect(up.measured!.probes).toBeGreaterThanOrEqual(3);
      expect(up.uptimeSeconds).toBeGreaterThanOrEqual(1);
      expect(up.measured!.latencyMs).toBeGreaterThan(0);
      expect(down.measured!.successes).toBe(0);
      expect(down.uptimeSeconds).toBe(0);
      expect(down.claimedUptimeSeconds).toBe(57 * 365 * 86_400);
      expect(chooseDefault(list).beacon).toBe(up.nodeId);
      // The node goes away: its measured uptime drops to zero at the next probe.
      await node.close();
      await new Promise((r) => setTimeout(r, 600));
      const after = (await new DirectoryClient(probing.url).servers()).find((s) => s.nodeId === up.nodeId)!;
      expect(after.uptimeSeconds).toBe(0);
      expect(after.measured!.successRatio).toBeLessThan(1);
    } finally {
      await node.close();
      await probing.close();
      rmSync(pdir, { recursive: true, force: true });
    }
  });
});
