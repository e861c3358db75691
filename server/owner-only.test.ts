// Finding 9: node.db (every mailbox's AN in clear) was 0644 in a 0755 folder, readable by
// every account on the machine; the KME folder likewise. Now folders are 0700 and files
// 0600 whatever the umask, including what an older version left behind.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStorage } from './storage/index.js';
import { setupPairCertificates } from './kme/index.js';
import { KmeKeyStore } from './kme/store.js';
import { startDirectory } from './directory/server.js';
import { tempDir } from '../tests/support/tmp.js';

const modeOf = (p: string): number => statSync(p).mode & 0o777;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe.runIf(process.platform !== 'win32')('owner-only files', () => {
  it('finding 9 — the node data folder is 0700 and node.db with its WAL and SHM 0600, also when an older version left them open', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const fresh = join(dir.path, 'fresh');
    const old = join(dir.path, 'old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    for (const f of ['node.db', 'node.db-wal', 'node.db-shm']) {
      writeFileSync(join(old, f), '');
      chmodSync(join(old, f), 0o644);
    }
    for (const dataDir of [fresh, old]) {
      const storage = await openStorage({ dataDir, backend: 'sqlite', durable: false });
      try {
        expect(modeOf(dataDir), dataDir).toBe(0o700);
        for (const f of ['node.db', 'node.db-wal', 'node.db-shm']) {
          expect(existsSync(join(dataDir, f)), f).toBe(true);
          expect(modeOf(join(dataDir, f)), `${dataDir}/${f}`).toBe(0o600);
        }
      } finally {
        await storage.close();
      }
    }
  });

  it('finding 9 — the KME folder is 0700, its private keys and keys.db (with WAL and SHM) 0600', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const kdir = join(dir.path, 'kme');
    mkdirSync(kdir, { mode: 0o755 });
    chmodSync(kdir, 0o755);
    setupPairCertificates(kdir);
    expect(modeOf(kdir)).toBe(0o700);
    const keys = readdirSync(kdir).filter((f) => f.endsWith('.key'));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const k of keys) expect(modeOf(join(kdir, k)), k).toBe(0o600);
    // Reusing the certificates of an older run mends the folder too.
    chmodSync(kdir, 0o755);
    setupPairCertificates(kdir);
    expect(modeOf(kdir)).toBe(0o700);
    const store = new KmeKeyStore(join(kdir, 'keys.db'));
    try {
      store.addPending('KME_A', [
        { keyId: '6f2c1d4e-8a3b-4c5d-9e0f-112233445566', key: new Uint8Array(32), master: 'SAE_A', slave: 'SAE_B' },
      ]);
      for (const f of ['keys.db', 'keys.db-wal', 'keys.db-shm']) {
        expect(existsSync(join(kdir, f)), f).toBe(true);
        expect(modeOf(join(kdir, f)), f).toBe(0o600);
      }
    } finally {
      store.close();
    }
  });

  it('finding 9 — the directory folder (its ticket-signing key) is 0700 and directory.db with its WAL and SHM 0600', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const dataDir = join(dir.path, 'directory');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const running = await startDirectory({ dataDir, port: 0, probeIntervalMs: 0 });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, 'directory-key.json'))).toBe(0o600);
      for (const f of ['directory.db', 'directory.db-wal', 'directory.db-shm']) {
        expect(existsSync(join(dataDir, f)), f).toBe(true);
        expect(modeOf(join(dataDir, f)), f).toBe(0o600);
      }
    } finally {
      await running.close();
    }
  });
});
