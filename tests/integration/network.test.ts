// `qmail network up` as users run it: starts nodes, directory, KME pair and correspondent,
// writes a complete network.json, stops everything on SIGTERM leaving no process behind,
// and on the next start in the same folder comes back on the same ports with the same
// correspondent identity.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { NetworkFile } from '../../dev-network/launcher.js';
import { tempDir } from '../support/tmp.js';

const qmail = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'bin', 'qmail.js');
const tmp = tempDir('qmail-netup-');
const dir = join(tmp.path, 'net');
const started: ChildProcess[] = [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function up(): Promise<{ proc: ChildProcess; ready: { file: string; correspondent: string; directory: string } }> {
  const proc = spawn(process.execPath, [qmail, 'network', 'up', '--dir', dir, '--nodes', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const ready = await new Promise<{ file: string; correspondent: string; directory: string }>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`network not ready: ${err}`)), 90_000);
    proc.once('exit', (c) => {
      clearTimeout(t);
      rej(new Error(`network up exited ${c}: ${err}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      const j = JSON.parse(l) as { ready?: boolean };
      if (j.ready) {
        clearTimeout(t);
        res(j as never);
      }
    });
  });
  return { proc, ready };
}

async function down(proc: ChildProcess): Promise<number | null> {
  const code = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  proc.kill('SIGTERM');
  return code;
}

afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  // Children of a killed launcher, if any: read their pids from network.json.
  try {
    const n = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as NetworkFile;
    const svc = n.services.correspondent as { pid?: number } | undefined;
    for (const pid of [n.directory.pid, ...n.nodes.map((x) => x.pid), svc?.pid ?? -1])
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    /* nothing started */
  }
  tmp.remove();
}, 30_000);

describe('qmail network up', () => {
  let first: NetworkFile;

  it('starts, writes a complete network.json, and stops without leaving processes', async () => {
    const { proc, ready } = await up();
    expect(ready.file).toBe(join(dir, 'network.json'));
    first = JSON.parse(readFileSync(ready.file, 'utf8')) as NetworkFile;
    expect(first.nodes).toHaveLength(3);
    expect(first.directory.url).toBe(ready.directory);
    const servers = (await (await fetch(`${first.directory.url}/v1/servers`)).json()) as { servers: unknown[] };
    expect(servers.servers).toHaveLength(3);
    const corr = first.services.correspondent as { address: string; pid: number };
    expect(corr.address).toBe(ready.correspondent);
    expect(corr.address).toMatch(/^0006\.0\.\d+$/);
    const kme = first.services.kme as { config: string; kmeA: { url: string }; kmeB: { url: string } };
    expect(existsSync(kme.config)).toBe(true);
    expect(kme.kmeA.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const pids = [first.directory.pid, ...first.nodes.map((n) => n.pid), corr.pid];
    for (const pid of pids) expect(alive(pid)).toBe(true);
    // Still up a while later (long-running commands must not end on their own).
    await new Promise((r) => setTimeout(r, 1500));
    expect(proc.exitCode).toBeNull();
    expect(await down(proc)).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 120_000);

  it('comes back in the same folder on the same ports with the same correspondent', async () => {
    const { proc, ready } = await up();
    const again = JSON.parse(readFileSync(ready.file, 'utf8')) as NetworkFile;
    expect(again.directory.url).toBe(first.directory.url);
    expect(again.nodes.map((n) => n.port)).toEqual(first.nodes.map((n) => n.port));
    expect(again.nodes.map((n) => n.nodeId)).toEqual(first.nodes.map((n) => n.nodeId));
    expect(ready.correspondent).toBe((first.services.correspondent as { address: string }).address);
    expect(await down(proc)).toBe(0);
  }, 120_000);
});
