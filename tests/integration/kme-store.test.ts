// The KME pair's durable key store: keys handed to the master SAE are served to the slave
// SAE after a restart of the pair, and after the process was killed; a delivered key is
// deleted (only its ID is kept, so a second request says "already retrieved").
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KmeClient } from '../../electron/services/qkd/client.js';
import { KmeError } from '../../electron/services/qkd/errors.js';
import { tempDir } from '../support/tmp.js';
import { startKmePair, type KmeEndpoint, type KmePairFile } from '../../server/kme/index.js';

const tmp = tempDir('qmail-kme-store-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  tmp.remove();
});

const client = (e: KmeEndpoint) =>
  KmeClient.fromFiles({
    url: e.url,
    certFile: e.saeCert,
    keyFile: e.saeKey,
    caFile: e.ca,
    decRetry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 },
  });
const hex = (keys: { key: Uint8Array }[]) => keys.map((k) => Buffer.from(k.key).toString('hex'));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof KmeError ? e.code : String(e);
  }
}

describe('the key store of a KME pair', () => {
  it('serves keys handed out before a restart, deletes them once delivered, and says "already retrieved" after', async () => {
    const dir = join(tmp.path, 'pair');
    const keyStore = join(dir, 'keys.db');
    let pair = await startKmePair({ dir, keyStore });
    let alice = client(pair.kmeA);
    let bob = client(pair.kmeB);
    const issued = await alice.encKeys('SAE_BOB', { number: 3 });
    const first = await bob.decKeys('SAE_ALICE', [issued[0]!.keyId]);
    expect(hex(first)).toEqual(hex(issued.slice(0, 1)));
    // And the other way round: keys bob's side handed out, waiting at KME A.
    const fromBob = await bob.encKeys('SAE_ALICE', { number: 1 });
    alice.close();
    bob.close();
    await pair.close();

    pair = await startKmePair({ dir, keyStore, portA: Number(new URL(pair.kmeA.url).port), portB: Number(new URL(pair.kmeB.url).port) });
    alice = client(pair.kmeA);
    bob = client(pair.kmeB);
    try {
      const rest = await bob.decKeys(
        'SAE_ALICE',
        issued.slice(1).map((k) => k.keyId),
      );
      expect(hex(rest)).toEqual(hex(issued.slice(1)));
      expect(hex(await alice.decKeys('SAE_BOB', [fromBob[0]!.keyId]))).toEqual(hex(fromBob));
      expect(await codeOf(bob.decKeys('SAE_ALICE', [issued[0]!.keyId]))).toBe('key_consumed');
      expect(await codeOf(bob.decKeys('SAE_ALICE', [issued[2]!.keyId]))).toBe('key_consumed');
    } finally {
      alice.close();
      bob.close();
      await pair.close();
    }
    // Delivered to both sides: no key material is left, only the IDs.
    const db = new Database(keyStore, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM pending').get()).toEqual({ n: 0 });
      expect((db.prepare('SELECT key_id FROM delivered ORDER BY key_id').all() as { key_id: string }[]).map((r) => r.key_id)).toEqual(
        [...issued, ...fromBob].map((k) => k.keyId).sort(),
      );
    } finally {
      db.close();
    }
  });

  it('keeps every key handed out when the process is killed right after answering', async () => {
    const dir = join(tmp.path, 'killed');
    const keyStore = join(dir, 'keys.db');
    const start = async (): Promise<{ child: ChildProcess; cfg: KmePairFile }> => {
      const child = spawn(process.execPath, ['bin/qmail-kme.js', 'pair', '--dir', dir, '--key-store', keyStore], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`qmail-kme exited ${code}`)));
      });
      return { child, cfg: JSON.parse(readFileSync(join(dir, 'kme.json'), 'utf8')) as KmePairFile };
    };
    const first = await start();
    const alice = client(first.cfg.kmeA);
    const issued = await alice.encKeys('SAE_BOB', { number: 4 });
    alice.close();
    await new Promise<void>((resolve) => {
      first.child.once('exit', () => resolve());
      first.child.kill('SIGKILL');
    });

    const second = await start();
    const bob = client(second.cfg.kmeB);
    try {
      expect(
        hex(
          await bob.decKeys(
            'SAE_ALICE',
            issued.map((k) => k.keyId),
          ),
        ),
      ).toEqual(hex(issued));
    } finally {
      bob.close();
      second.child.kill('SIGTERM');
    }
  }, 60_000);
});
