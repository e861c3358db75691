// A qmail-server child process for tests and benchmarks that need a real node (its own
// event loop and its own RSS): written config file, ready line on stdout, SIGTERM to stop.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerConfigInput } from '../config.js';
import { projectFile } from '../package-root.js';
import type { Identity } from './client.js';

export interface NodeProcess {
  port: number;
  pid: number;
  /** Resident set size of the node process, MiB (Linux /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

export function rssMbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Mailboxes provisioned through `legacy.mailboxes`, so no registration step is needed. */
export function provisioned(ids: Identity[]): NonNullable<NonNullable<ServerConfigInput['legacy']>['mailboxes']> {
  return ids.map((id) => ({ denomination: id.denomination, serial: id.serial, an: Buffer.from(id.an).toString('hex') }));
}

export async function startNodeProcess(dataDir: string, config: ServerConfigInput = {}, timeoutMs = 30_000): Promise<NodeProcess> {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'config.json');
  writeFileSync(file, JSON.stringify({ storage: { durable: false }, log: { level: 'warn' }, ...config, dataDir }, null, 2));
  const proc = spawn(process.execPath, [projectFile('bin', 'qmail-server.js'), '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  proc.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const line = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`qmail-server not ready within ${timeoutMs} ms: ${tail}`));
    }, timeoutMs);
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(t);
      res(l);
    });
    proc.once('exit', (c) => {
      clearTimeout(t);
      rej(new Error(`qmail-server exited with ${c}: ${tail}`));
    });
  });
  const ready = JSON.parse(line) as { port: number };
  return {
    port: ready.port,
    pid: proc.pid!,
    rssMb: () => rssMbOf(proc.pid!),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
