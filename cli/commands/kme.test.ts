// qmail kme against a running qmail-kme pair, through the real program.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmePair, type KmeEndpoint, type KmePair } from '../../server/kme/pair.js';
import { main } from '../program.js';

let dir: string;
let pair: KmePair;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qkd-cli-'));
  pair = await startKmePair({ dir, initialBits: 4096, fillRateBitsPerSecond: 0 });
});
afterAll(async () => {
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function qmail(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const before = process.exitCode;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}

const auth = (k: KmeEndpoint) => ['--url', k.url, '--peer-sae', k.peerSaeId, '--cert', k.saeCert, '--key', k.saeKey, '--ca', k.ca];

describe('qmail kme', () => {
  it('status, enc at KME A and dec at KME B print the KME answers as JSON', async () => {
    const st = await qmail(['kme', 'status', ...auth(pair.kmeA)]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out)).toMatchObject({ source_KME_ID: 'KME_A', stored_key_count: 16, key_size: 256 });
    const enc = await qmail(['kme', 'enc', ...auth(pair.kmeA), '--number', '2', '--size', '512', '--method', 'post']);
    expect(enc.code).toBe(0);
    const keys = JSON.parse(enc.out).keys as Array<{ key_ID: string; key: string }>;
    expect(keys).toHaveLength(2);
    const dec = await qmail(['kme', 'dec', ...auth(pair.kmeB), '--key-id', keys[1]!.key_ID, '--key-id', keys[0]!.key_ID]);
    expect(dec.code).toBe(0);
    expect(JSON.parse(dec.out).keys).toEqual([keys[1], keys[0]]);
  });

  it('fails with one clear line on stderr', async () => {
    const bad = await qmail(['kme', 'enc', ...auth(pair.kmeA), '--size', '12']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/^qmail kme: invalid_argument: key size 12 bits is not a multiple of 8\n$/);
    const wrong = await qmail(['kme', 'status', ...auth({ ...pair.kmeA, saeCert: pair.kmeB.saeCert, saeKey: pair.kmeB.saeKey })]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(wrong.err).toMatch(/unauthorized: .*401/);
    const missing = await qmail(['kme', 'status', ...auth({ ...pair.kmeA, saeCert: join(dir, 'nope.crt') })]);
    expect(missing.err).toMatch(/cannot read client certificate/);
    expect(missing.code).not.toBe(0);
  });
});
