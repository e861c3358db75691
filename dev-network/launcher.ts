// startLocalNetwork: a whole QMail world on loopback for development, tests and the
// embedded default — N real qmail-server child processes plus a directory process —
// described in DIR/network.json. Other parts of the system (the built-in correspondent,
// the KME pair) plug in through `services`, and appear in network.json under their name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerConfigInput } from '../server/config.js';
import type { SignedDescriptor } from '../server/directory/descriptor.js';
import { projectFile } from '../server/package-root.js';

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
  /** How often the directory probes the servers it lists (ms; its default is 60 s). */
  directoryProbeMs?: number;
  services?: NetworkService[];
  /** Child stderr (JSON logs) goes to DIR/<name>.log; set true to also echo to ours. */
  echoLogs?: boolean;
  startTimeoutMs?: number;
  /**
   * When DIR already holds a network (the embedded default on its next start), bring the
   * directory and every node back on the ports they had, so identities that remember them
   * keep working. A port now taken by something else falls back to a free one. Default true.
   */
  reusePorts?: boolean;
}

export interface LocalNetwork {
  /** The content written to DIR/network.json. */
  network: NetworkFile;
  file: string;
  /** Send a signal to a node (tests: SIGKILL mid-upload). Resolves when it exited. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Start a stopped node again on the same port and data directory. */
  restart(index: number): Promise<NetworkNode>;
  /** Start one more service now (e.g. in the background after the app is up); lands in network.json. */
  addService(svc: NetworkService): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The environment for a child run with process.execPath. Inside Electron's main process
 * that path is the Electron binary, which runs a script as plain Node only when told to.
 */
export function nodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}), ...extra };
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
}

function launch(
  args: string[],
  logFile: string,
  echo: boolean,
  timeoutMs: number,
): Promise<{ child: Child; ready: Record<string, unknown> }> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [projectFile('bin', 'qmail-server.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: nodeEnv(),
    });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const child = { proc, exited };
    // Logs go straight to the file (a long-running network must not keep them in memory);
    // the tail is kept for the error message when a start fails.
    const log = createWriteStream(logFile, { flags: 'a' });
    let tail = '';
    proc.stderr!.on('data', (d: Buffer) => {
      log.write(d);
      if (tail.length < 4000) tail = (tail + d.toString()).slice(-2000);
      if (echo) process.stderr.write(d);
    });
    proc.stderr!.once('end', () => log.end());
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      proc.kill('SIGKILL');
      rej(new Error(`qmail-server ${args.join(' ')} not ready within ${timeoutMs} ms: ${tail}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!settled) rej(new Error(`qmail-server ${args.join(' ')} exited with ${code}: ${tail}`));
      settled = true;
    });
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      try {
        res({ child, ready: JSON.parse(line) as Record<string, unknown> });
      } catch {
        proc.kill('SIGKILL');
        rej(new Error(`unexpected output from qmail-server: ${line.slice(0, 200)}`));
      }
    });
  });
}

/** Tries the remembered port first; if that start fails (port taken), a free one. */
async function launchOnPort(args: (port: number) => string[], port: number, logFile: string, echo: boolean, timeoutMs: number) {
  if (port > 0) {
    try {
      return await launch(args(port), logFile, echo, timeoutMs);
    } catch {
      /* fall through to any free port */
    }
  }
  return launch(args(0), logFile, echo, timeoutMs);
}

function previousNetwork(dir: string): NetworkFile | null {
  try {
    const j = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as NetworkFile;
    return j && j.version === 1 && Array.isArray(j.nodes) ? j : null;
  } catch {
    return null;
  }
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
    for (const c of closers) await c().catch(() => undefined);
    for (const c of children) if (c) await stop(c, 'SIGKILL');
    if (directory) await stop(directory, 'SIGKILL');
  };

  const prev = o.reusePorts === false ? null : previousNetwork(dir);
  const prevDirPort = prev ? Number(new URL(prev.directory.url).port) || 0 : 0;

  try {
    const d = await launchOnPort(
      (port) => [
        'directory',
        '--data',
        join(dir, 'directory'),
        '--port',
        String(port),
        ...(o.directoryProbeMs !== undefined ? ['--probe-interval', String(o.directoryProbeMs)] : []),
      ],
      prevDirPort,
      join(dir, 'directory.log'),
      !!o.echoLogs,
      timeout,
    );
    directory = d.child;
    const url = String(d.ready.url);
    // Nodes pin the directory's ticket key instead of fetching it over HTTP at start: no window in
    // which a node that could not fetch it yet refuses every registration, and nothing to spoof.
    const directoryKey = typeof d.ready.publicKey === 'string' ? d.ready.publicKey : undefined;
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
        listen: { host: '127.0.0.1', port: prev?.nodes[i]?.port ?? 0, ...base.listen, ...per.listen },
        directory: { ...(directoryKey ? { publicKey: directoryKey } : {}), ...base.directory, ...per.directory, url },
        operator: { name: `local node ${i}`, location: 'loopback', jurisdiction: 'local', ...base.operator, ...per.operator },
        // Inbox fees are collected from lockers on this network's coin servers (server/purse.ts).
        chips: { networkFile: join(dir, 'network.json'), ...base.chips, ...per.chips },
      };
      const file = join(dataDir, 'config.json');
      writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
      configs.push(file);
    }
    const started = await Promise.all(
      configs.map((file, i) => {
        const log = join(dir, `node-${i}.log`);
        const remembered = prev?.nodes[i]?.port ?? 0;
        // A remembered port that is now taken: start again on a free one.
        return launch(['--config', file], log, !!o.echoLogs, timeout).catch((e: unknown) => {
          if (!remembered) throw e;
          return launch(['--config', file, '--port', '0'], log, !!o.echoLogs, timeout);
        });
      }),
    );
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
    const network: NetworkFile = {
      version: 1,
      createdAt: new Date().toISOString(),
      directory: { url, pid: directory.proc.pid ?? -1 },
      nodes,
      services: {},
    };
    const file = join(dir, 'network.json');
    const write = () => {
      writeFileSync(file + '.tmp', JSON.stringify(network, null, 2) + '\n');
      renameSync(file + '.tmp', file);
    };
    write();
    let closed = false;
    const addService = async (svc: NetworkService): Promise<unknown> => {
      if (closed) throw new Error('the network is closed');
      const r = await svc.start(network, dir);
      if (closed) {
        await r.close();
        throw new Error('the network is closed');
      }
      network.services[svc.name] = r.info;
      closers.unshift(r.close);
      write();
      return r.info;
    };
    for (const svc of o.services ?? []) await addService(svc);

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
      addService,
      async close() {
        closed = true;
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
