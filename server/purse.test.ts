// The operator's cut is exact on integers, and a network file is read strictly.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { cutBasisPoints, networkEndpoints, networkPeers, operatorCut } from './purse.js';
import { parseConfig } from './config.js';
import { makeDescriptor } from './directory/descriptor.js';
import { tempDir } from '../tests/support/tmp.js';

const tmp = tempDir('qmail-purse-');
afterAll(() => tmp.remove());

describe('operator cut', () => {
  it('is whole basis points of the amount, rounded down, so the rest is never short', () => {
    expect(cutBasisPoints(0.1)).toBe(1000n);
    expect(cutBasisPoints(0.12345)).toBe(1235n);
    expect(operatorCut(100_000_000n, 0.1)).toBe(10_000_000n);
    expect(operatorCut(7n, 0.1)).toBe(0n); // 0.7 units: nothing
    expect(operatorCut(33_333_333n, 0.25)).toBe(8_333_333n);
    expect(operatorCut(123n, 0)).toBe(0n);
    expect(operatorCut(123n, 1)).toBe(123n);
    for (let units = 0n; units < 2000n; units += 7n) {
      const cut = operatorCut(units, 0.37);
      expect(cut * 10_000n <= units * 3700n && (cut + 1n) * 10_000n > units * 3700n).toBe(true);
    }
    expect(() => cutBasisPoints(1.5)).toThrow(RangeError);
    expect(() => cutBasisPoints(Number.NaN)).toThrow(RangeError);
  });
});

describe('network file', () => {
  it('lists the coin servers by RAIDA index, each once', () => {
    const file = join(tmp.path, 'network.json');
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { host: 'b', port: 2, raidaId: 1 },
          { host: 'a', port: 1, raidaId: 0 },
        ],
      }),
    );
    expect(networkEndpoints(file)).toEqual([
      { host: 'a', port: 1, raidaId: 0 },
      { host: 'b', port: 2, raidaId: 1 },
    ]);
    writeFileSync(file, JSON.stringify({ nodes: [{ host: 'a', port: 1, raidaId: 1 }] }));
    expect(() => networkEndpoints(file)).toThrow(/RAIDA indexes/);
    writeFileSync(file, JSON.stringify({ nodes: [] }));
    expect(() => networkEndpoints(file)).toThrow();
  });

  it('takes each node’s operator key from its signed descriptor, and none from an old or altered entry', () => {
    const file = join(tmp.path, 'peers.json');
    const keys = [0, 1, 2, 3, 4].map(() => ml_dsa65.keygen(new Uint8Array(randomBytes(32))));
    const signed = (i: number, raidaId = i) =>
      makeDescriptor(parseConfig({ raidaId, dataDir: tmp.path }), keys[i]!, { host: 'h', port: 1000 + i, startedAt: 0, now: 0 });
    const d0 = signed(0);
    const altered = JSON.parse(JSON.stringify(signed(2))) as { descriptor: { port: number } };
    altered.descriptor.port = 9;
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { host: 'a', port: 1, raidaId: 0, nodeId: d0.nodeId, descriptor: { descriptor: d0.descriptor, signature: d0.signature } },
          { host: 'b', port: 2, raidaId: 1 }, // an older file: no descriptor
          { host: 'c', port: 3, raidaId: 2, descriptor: altered }, // its signature no longer checks
          { host: 'd', port: 4, raidaId: 3, descriptor: signed(3, 4) }, // another slot's descriptor
          { host: 'e', port: 5, raidaId: 4, nodeId: signed(0).nodeId, descriptor: signed(4) }, // names another node
        ],
      }),
    );
    const peers = networkPeers(file);
    expect(peers.map((p) => p.publicKey && Buffer.from(p.publicKey).toString('hex'))).toEqual([
      Buffer.from(keys[0]!.publicKey).toString('hex'),
      null,
      null,
      null,
      null,
    ]);
    expect(networkEndpoints(file)).toEqual(peers.map((p) => ({ host: p.host, port: p.port, raidaId: p.raidaId })));
  });
});
