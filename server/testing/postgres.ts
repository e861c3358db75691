// Test helper: a throwaway PostgreSQL 15 cluster in a temp dir on a loopback port.
// As root it runs the server binaries as the `postgres` user (initdb refuses root).
// Missing binaries are an error with a clear message, never a skipped test.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.QMAIL_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function ids(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<PgCluster> {
  for (const b of ['initdb', 'postgres']) {
    if (!existsSync(join(BIN, b))) {
      throw new Error(`PostgreSQL server binary ${join(BIN, b)} not found: install the Debian package postgresql-15 (or set QMAIL_PG_BIN)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'qmail-pg-'));
  const who = ids();
  if (who) {
    chownSync(dir, who.uid, who.gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  const opts = who ? { uid: who.uid, gid: who.gid } : {};
  execFileSync(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    ...opts,
    stdio: 'pipe',
  });
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(BIN, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'shared_buffers=16MB',
      '-c',
      'max_connections=40',
    ],
    { ...opts, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited early: ${log}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`postgres did not accept connections: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // fast shutdown
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database inside the cluster, so each suite starts empty. */
export async function createDatabase(cluster: PgCluster, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/g, '')}`);
  } finally {
    await c.end();
  }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}
