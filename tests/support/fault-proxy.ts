// A loopback TCP proxy that stands between the mail client and one qmail-server node and
// misbehaves on request. It cuts both byte streams into RAIDA frames (32-byte header, then the
// body length the header names), so a fault can aim at one command — "the first Tell",
// "every upload" — and act on that request or on its answer:
//
//   refuse     the listener is closed: connecting is refused until `heal()`
//   blackhole  the request is swallowed: no answer, the connection stays open
//   delay      the request is held `ms` before it goes on
//   duplicate  the request goes to the node twice; the second answer is thrown away
//   reorder    the request is held until the next request to this node (or `ms`), then sent after it
//   mute       the node gets the request and answers; the answer is thrown away
//   lose       the node gets the request and answers; the client's connection ends instead
//   truncate   the node's answer is cut after `bytes` and the connection ends (FIN)
//   reset      part of the request reaches the node, then both connections are reset (RST)
//   close      the request never reaches the node; the client's connection ends (FIN), as
//              when a node hangs up an idle connection just as a request is sent on it
//
// Every fault has a count (default 1): it fires that many times, then the proxy forwards as usual.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { HEADER_LENGTH, decodeRequestHeader, decodeResponseHeader } from '../../shared/raida/index.js';

export type FaultKind = 'refuse' | 'blackhole' | 'delay' | 'duplicate' | 'reorder' | 'mute' | 'lose' | 'truncate' | 'reset' | 'close';

export interface Fault {
  kind: FaultKind;
  /** Which requests it aims at (any when absent). */
  group?: number;
  command?: number;
  /** How many times it fires (default 1; Infinity: until healed). */
  times?: number;
  /** delay: how long; reorder: the longest hold before the request goes alone. */
  ms?: number;
  /** truncate: answer bytes let through first; reset: request bytes (default: half). */
  bytes?: number;
}

/** A request as the proxy saw it. */
export interface Seen {
  group: number;
  command: number;
  fault?: FaultKind;
}

/** Cuts a byte stream into frames whose total length the header gives. */
class Framer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly frameLength: (header: Buffer) => number) {}

  /** The whole frames `d` completes; null when a header does not parse. */
  frames(d: Buffer): Buffer[] | null {
    try {
      return this.push(d);
    } catch {
      return null;
    }
  }

  private push(d: Buffer): Buffer[] {
    this.chunks.push(d);
    this.size += d.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < HEADER_LENGTH) return out;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const n = this.frameLength(all.subarray(0, HEADER_LENGTH));
      if (all.length < n) {
        this.chunks = [all];
        return out;
      }
      out.push(all.subarray(0, n));
      const rest = all.subarray(n);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
  }
}

const requestLength = (h: Buffer) => HEADER_LENGTH + decodeRequestHeader(new Uint8Array(h), { versionZero: () => true }).bodyLength;
const responseLength = (h: Buffer) => HEADER_LENGTH + decodeResponseHeader(new Uint8Array(h)).bodySize;

/** What to do with each answer from the node, in order. */
type AnswerPlan = { kind: 'pass' } | { kind: 'discard' } | { kind: 'lose' } | { kind: 'truncate'; bytes?: number };

export class FaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private faults: (Fault & { left: number })[] = [];
  /** A request held by `reorder`, released by the next request to this node. */
  private held: { release: () => void } | null = null;
  readonly seen: Seen[] = [];
  port = 0;
  /** Where the node listens (set once it has started; a restart keeps the port). */
  target: { host: string; port: number } | null = null;

  /** Listens on a free loopback port (or the one it had before `refuse`). */
  async listen(): Promise<number> {
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.port, '127.0.0.1', () => res());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Adds a fault; `refuse` closes the listener at once. */
  async inject(f: Fault): Promise<void> {
    if (f.kind === 'refuse') {
      await this.closeListener();
      return;
    }
    this.faults.push({ ...f, left: f.times ?? 1 });
  }

  /** Forget every fault; listen again if refused. */
  async heal(): Promise<void> {
    this.faults = [];
    this.held?.release();
    if (!this.server) await this.listen();
  }

  /** How many requests matching `group`/`command` went through (or were faulted). */
  count(group: number, command: number, fault?: FaultKind): number {
    return this.seen.filter((s) => s.group === group && s.command === command && (fault === undefined || s.fault === fault)).length;
  }

  /** Whether any fault still waits to fire. */
  get pending(): boolean {
    return this.faults.some((f) => f.left > 0);
  }

  async close(): Promise<void> {
    await this.closeListener();
    for (const s of this.sockets) s.destroy();
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => server.close(() => res()));
  }

  private take(group: number, command: number): Fault | undefined {
    const f = this.faults.find(
      (x) => x.left > 0 && (x.group === undefined || x.group === group) && (x.command === undefined || x.command === command),
    );
    if (f) f.left--;
    return f;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    if (!this.target) {
      client.destroy();
      return;
    }
    const node = createConnection(this.target);
    this.sockets.add(node);
    client.setNoDelay(true);
    node.setNoDelay(true);
    const end = () => {
      client.destroy();
      node.destroy();
      this.sockets.delete(client);
      this.sockets.delete(node);
    };
    client.on('error', end).on('close', end);
    node.on('error', end).on('close', end);

    const plans: AnswerPlan[] = [];
    const requests = new Framer(requestLength);
    const answers = new Framer(responseLength);
    // Requests leave in order: one held back (delay, reorder) holds back those behind it,
    // except that reorder lets exactly the next one overtake it.
    let queue: Promise<void> = Promise.resolve();
    let swallowed = false;

    client.on('data', (d: Buffer) => {
      const frames = requests.frames(d);
      if (!frames) return end();
      for (const frame of frames) {
        if (swallowed) return;
        const group = frame[4]!;
        const command = frame[5]!;
        const f = this.take(group, command);
        this.seen.push({ group, command, ...(f ? { fault: f.kind } : {}) });
        // A held request goes right after this one.
        const overtaken = this.held;
        this.held = null;
        if (!f) {
          plans.push({ kind: 'pass' });
          queue = queue.then(() => void node.write(frame));
          overtaken?.release();
          continue;
        }
        switch (f.kind) {
          case 'blackhole':
            // A dead path: nothing more goes through this connection either way.
            swallowed = true;
            break;
          case 'delay':
            plans.push({ kind: 'pass' });
            queue = queue.then(() => new Promise<void>((r) => setTimeout(r, f.ms ?? 500))).then(() => void node.write(frame));
            break;
          case 'duplicate':
            plans.push({ kind: 'pass' }, { kind: 'discard' });
            queue = queue.then(() => {
              node.write(frame);
              node.write(frame);
            });
            break;
          case 'reorder': {
            let release!: () => void;
            const go = new Promise<void>((r) => (release = r));
            const held = { release: () => release() };
            this.held = held;
            const timer = setTimeout(held.release, f.ms ?? 1000);
            // Its answer is planned when it leaves, after the one that overtook it.
            void go.then(() => {
              clearTimeout(timer);
              if (this.held === held) this.held = null;
              plans.push({ kind: 'pass' });
              node.write(frame);
            });
            break;
          }
          case 'mute':
            plans.push({ kind: 'discard' });
            queue = queue.then(() => void node.write(frame));
            break;
          case 'lose':
            swallowed = true;
            plans.push({ kind: 'lose' });
            queue = queue.then(() => void node.write(frame));
            break;
          case 'truncate':
            plans.push({ kind: 'truncate', ...(f.bytes !== undefined ? { bytes: f.bytes } : {}) });
            queue = queue.then(() => void node.write(frame));
            break;
          case 'reset':
            swallowed = true;
            queue = queue.then(
              () =>
                void node.write(frame.subarray(0, Math.min(frame.length - 1, f.bytes ?? Math.floor(frame.length / 2))), () => {
                  client.resetAndDestroy();
                  node.resetAndDestroy();
                }),
            );
            break;
          case 'close':
            swallowed = true;
            queue = queue.then(() => void client.end());
            break;
          case 'refuse':
            break;
        }
        overtaken?.release();
      }
    });

    node.on('data', (d: Buffer) => {
      const frames = answers.frames(d);
      if (!frames) return end();
      for (const frame of frames) {
        const plan = plans.shift() ?? { kind: 'pass' };
        if (plan.kind === 'pass') client.write(frame);
        else if (plan.kind === 'lose') {
          client.end();
          return;
        } else if (plan.kind === 'truncate') {
          client.write(frame.subarray(0, Math.min(frame.length - 1, plan.bytes ?? Math.floor(frame.length / 2))), () => client.end());
          return;
        }
      }
    });
  }
}
