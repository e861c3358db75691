// Real qmail-server processes and a directory on loopback, for integration tests and
// benchmarks: started with the same command operators run, killed and restarted by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const serverBin = join(root, 'bin', 'qmail-server.js');

export interface NodeProc {
  index: number;
  port: number;
  nodeId: string;
  dataDir: string;
  proc: ChildProcess | null;
}

export interface LocalNetwork {
  directoryUrl: string;
  nodes: NodeProc[];
  /** Writes a network file the CLI reads (--network). */
  networkFile: string;
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

function waitReady(p: ChildProcess, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const t = setTimeout(() => reject(new Error(`${what} not ready in ${timeoutMs} ms: ${err}`)), timeoutMs);
    const rl = createInterface({ input: p.stdout! });
    rl.on('line', (line) => {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.ready) {
          clearTimeout(t);
          resolve(j);
        }
      } catch {
        /* not the ready line */
      }
    });
    p.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}) before ready: ${err}`));
    });
  });
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

export async function startNetwork(base: string, count: number, opts: { pingMaxWaitMs?: number } = {}): Promise<LocalNetwork> {
  mkdirSync(base, { recursive: true });
  const dirProc = spawn(process.execPath, [serverBin, 'directory', '--data', join(base, 'directory'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await waitReady(dirProc, 'directory');
  const directoryUrl = String(ready.url);
  const nodes: NodeProc[] = [];
  const startNode = async (n: NodeProc, port: number) => {
    const cfg = join(n.dataDir, '..', `node${n.index}.json`);
    writeFileSync(cfg, JSON.stringify({ limits: { pingMaxWaitMs: opts.pingMaxWaitMs ?? 2000 }, log: { level: 'warn' } }));
    const p = spawn(process.execPath, [serverBin, '--config', cfg, '--data', n.dataDir, '--port', String(port), '--raida-id', String(n.index), '--directory', directoryUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await waitReady(p, `qmail-server ${n.index}`);
    n.proc = p;
    n.port = Number(r.port);
    n.nodeId = String(r.nodeId);
  };
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const n: NodeProc = { index, port: 0, nodeId: '', dataDir: join(base, 'nodes', `node${index}`), proc: null };
      mkdirSync(n.dataDir, { recursive: true });
      await startNode(n, 0);
      nodes[index] = n;
    }),
  );
  const networkFile = join(base, 'network.json');
  writeFileSync(networkFile, JSON.stringify({ directory: directoryUrl, servers: nodes.map((n) => ({ host: '127.0.0.1', port: n.port, nodeId: n.nodeId })) }, null, 2));
  return {
    directoryUrl,
    nodes,
    networkFile,
    async kill(i, signal = 'SIGKILL') {
      const p = nodes[i]!.proc;
      if (!p) return;
      p.kill(signal);
      await exited(p);
      nodes[i]!.proc = null;
    },
    async restart(i) {
      const n = nodes[i]!;
      await startNode(n, n.port);
    },
    async stop() {
      const all = [...nodes.map((n) => n.proc), dirProc].filter((p): p is ChildProcess => p !== null && p.exitCode === null);
      for (const p of all) p.kill('SIGTERM');
      await Promise.race([Promise.all(all.map(exited)), new Promise((r) => setTimeout(r, 5000))]);
      for (const p of all) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}
