import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encryption, type DecodedRequest } from '../../shared/raida/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { ReplayGuard, openReplayStore } from './replay.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function store(dir?: string): Promise<{ s: Storage; dir: string }> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'qmail-replay-'));
  if (!dir) dirs.push(d);
  return { s: await openStorage({ dataDir: d, backend: 'sqlite', durable: false }), dir: d };
}
function req(encryption: number, nonce: number, challenge: number, sentAt?: number): DecodedRequest {
  const n = new Uint8Array(8).fill(nonce);
  return {
    header: {
      version: 1,
      splitId: 0,
      raidaId: 0,
      shardId: 0,
      group: 6,
      command: 70,
      coinId: 6,
      bitfield: 1,
      packetIndex: 0,
      packetCount: 1,
      encryption: encryption as 1,
      keyDenomination: 0,
      keySerial: 7,
      bodyLength: 0,
      nonce: n,
    },
    body: new Uint8Array(0),
    challenge: new Uint8Array(16).fill(challenge),
    ...(sentAt === undefined ? {} : { sentAt }),
  };
}

describe('ReplayGuard', () => {
  it('refuses a CTR repeat within the window and admits it after; a new challenge is a new request', async () => {
    let t = 1_000_000;
    const { s } = await store();
    const g = new ReplayGuard(s, () => t, { aeadMs: 1000, ctrMs: 5000 });
    expect(await g.check(req(Encryption.AN, 1, 1))).toBe('ok');
    expect(await g.check(req(Encryption.AN, 1, 1))).toBe('replay');
    expect(await g.check(req(Encryption.AN, 1, 2))).toBe('ok');
    t += 6000;
    expect(await g.check(req(Encryption.AN, 1, 1))).toBe('ok');
    await s.close();
  });

  it('keys the authenticated envelope by nonce alone, refuses stale clocks, and remembers across a restart (replay.db)', async () => {
    let t = 5_000_000;
    const first = await store();
    const g = new ReplayGuard(openReplayStore(first.s, first.dir), () => t, { aeadMs: 1000, ctrMs: 5000 });
    expect(await g.check(req(Encryption.AEAD, 3, 1, t))).toBe('ok');
    expect(await g.check(req(Encryption.AEAD, 3, 9, t))).toBe('replay');
    expect(await g.check(req(Encryption.AEAD, 4, 1, t - 1500))).toBe('stale');
    expect(await g.check(req(Encryption.NONE, 0, 0))).toBe('ok');
    g.close();
    await first.s.close();
    const again = await store(first.dir);
    const g2 = new ReplayGuard(openReplayStore(again.s, again.dir), () => t, { aeadMs: 1000, ctrMs: 5000 });
    expect(await g2.check(req(Encryption.AEAD, 3, 1, t))).toBe('replay');
    t += 2500;
    expect(await g2.check(req(Encryption.AEAD, 3, 1, t))).toBe('ok');
    g2.close();
    await again.s.close();
  });
});
