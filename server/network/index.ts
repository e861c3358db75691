// startLocalNetwork: a whole QMail world on loopback for development, tests and the
// embedded default — N real qmail-server child processes plus a directory process —
// described in DIR/network.json. Other parts of the system (the built-in correspondent,
// the KME pair) plug in through `services`, and appear in network.json under their name.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ServerConfigInput } from '../config.js';
import type { SignedDescriptor } from '../directory/descriptor.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'qmail-server.js');

export interface NetworkNode {
  index: number;
  raidaId: number;
  host: string;
  port: number;
  nodeId: string;
  dataDir: string;
  pid: number;
  descriptor: SignedDescriptor;
}

export interface NetworkFile {
  version: 1;
  createdAt: string;
  directory: { url: string; pid: number };
  nodes: NetworkNode[];
  /** Filled by `services` hooks: e.g. { correspondent: {...}, kme: {...} }. */
  services: Record<string, unknown>;
}

/** A pluggable extra (correspondent, KME pair...): started after the nodes, stopped first. */
export interface NetworkService {
  name: string;
  start(network: Readonly<NetworkFile>, dir: string): Promise<{ info: unknown; close(): Promise<void> }>;
}

export interface LocalNetworkOptions {
  dir: string;
  nodes: number;
  /** Merged into every node's config (e.g. limits, drd.defaultTellFee, storage). */
  nodeConfig?: ServerConfigInput;
  /** Per-node overrides, by index. */
  perNode?: (index: number) => ServerConfigInput;
  services?: NetworkService[];
  /** Child stderr (JSON logs) goes to DIR/<name>.log; set true to also echo to ours. */
  echoLogs?: boolean;
  startTimeoutMs?: number;
}

export interface LocalNetwork {
  /** The content written to DIR/network.json. */
  network: NetworkFile;
  file: string;
  /** Send a signal to a node (tests: SIGKILL mid-upload). Resolves when it exited. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Start a stopped node again on the same port and data directory. */
  restart(index: number): Promise<NetworkNode>;
  close(): Promise<void>;
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
}

function launch(args: string[], logFile: string, echo: boolean, timeoutMs: number): Promise<{ child: Child; ready: Record<string, unknown> }> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const child = { proc, exited };
    const logs: string[] = [];
    proc.stderr!.on('data', (d: Buffer) => {
      logs.push(d.toString());
      if (echo) process.stderr.write(d);
    });
    const flushLog = () => writeFileSync(logFile, logs.join(''), { flag: 'a' });
    proc.once('exit', flushLog);
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`qmail-server ${args.join(' ')} not ready within ${timeoutMs} ms: ${logs.join('').slice(-2000)}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`qmail-server ${args.join(' ')} exited with ${code}: ${logs.join('').slice(-2000)}`));
    });
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        res({ child, ready: JSON.parse(line) as Record<string, unknown> });
      } catch {
        proc.kill('SIGKILL');
        rej(new Error(`unexpected output from qmail-server: ${line.slice(0, 200)}`));
      }
    });
  });
}

async function stop(c: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(t);
}

export async function startLocalNetwork(o: LocalNetworkOptions): Promise<LocalNetwork> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 64) throw new RangeError('nodes must be 1..64');
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const timeout = o.startTimeoutMs ?? 60_000;
  const children: (Child | null)[] = [];
  let directory: Child | null = null;
  const closers: (() => Promise<void>)[] = [];

  const abort = async () => {
    for (const c of children) if (c) await stop(c, 'SIGKILL');
    if (directory) await stop(directory, 'SIGKILL');
  };

  try {
    const d = await launch(['directory', '--data', join(dir, 'directory'), '--port', '0'], join(dir, 'directory.log'), !!o.echoLogs, timeout);
    directory = d.child;
    const url = String(d.ready.url);
    const configs: string[] = [];
    for (let i = 0; i < o.nodes; i++) {
      const dataDir = join(dir, `node-${i}`);
      mkdirSync(dataDir, { recursive: true });
      const base = o.nodeConfig ?? {};
      const per = o.perNode?.(i) ?? {};
      const cfg: ServerConfigInput = {
        ...base,
        ...per,
        dataDir,
        raidaId: i,
        listen: { host: '127.0.0.1', port: 0, ...base.listen, ...per.listen },
        directory: { ...base.directory, ...per.directory, url },
        operator: { name: `local node ${i}`, location: 'loopback', jurisdiction: 'local', ...base.operator, ...per.operator },
      };
      const file = join(dataDir, 'config.json');
      writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
      configs.push(file);
    }
    const started = await Promise.all(configs.map((file, i) => launch(['--config', file], join(dir, `node-${i}.log`), !!o.echoLogs, timeout)));
    const nodes: NetworkNode[] = started.map((s, i) => {
      children[i] = s.child;
      return {
        index: i,
        raidaId: i,
        host: String(s.ready.host),
        port: Number(s.ready.port),
        nodeId: String(s.ready.nodeId),
        dataDir: join(dir, `node-${i}`),
        pid: s.child.proc.pid ?? -1,
        descriptor: s.ready.descriptor as SignedDescriptor,
      };
    });
    // Pin each node's port so a restart comes back where clients expect it.
    nodes.forEach((n, i) => {
      writeFileSync(configs[i]!, JSON.stringify({ ...readJson(configs[i]!), listen: { host: n.host, port: n.port } }, null, 2) + '\n');
    });
    const network: NetworkFile = { version: 1, createdAt: new Date().toISOString(), directory: { url, pid: directory.proc.pid ?? -1 }, nodes, services: {} };
    const file = join(dir, 'network.json');
    const write = () => {
      writeFileSync(file + '.tmp', JSON.stringify(network, null, 2) + '\n');
      renameSync(file + '.tmp', file);
    };
    write();
    for (const svc of o.services ?? []) {
      const r = await svc.start(network, dir);
      network.services[svc.name] = r.info;
      closers.unshift(r.close);
      write();
    }

    return {
      network,
      file,
      async kill(index, signal = 'SIGKILL') {
        const c = children[index];
        if (!c) return;
        await stop(c, signal, 2000);
        children[index] = null;
      },
      async restart(index) {
        const n = nodes[index];
        if (!n) throw new RangeError(`no node ${index}`);
        if (children[index]) await stop(children[index]!);
        const s = await launch(['--config', configs[index]!], join(dir, `node-${index}.log`), !!o.echoLogs, timeout);
        children[index] = s.child;
        n.pid = s.child.proc.pid ?? -1;
        n.port = Number(s.ready.port);
        n.descriptor = s.ready.descriptor as SignedDescriptor;
        write();
        return n;
      },
      async close() {
        for (const c of closers) await c().catch(() => undefined);
        await Promise.all(children.map((c) => (c ? stop(c) : undefined)));
        if (directory) await stop(directory);
      },
    };
  } catch (e) {
    await abort();
    throw e;
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}
