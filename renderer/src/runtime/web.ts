// The browser transport: the same contract over one WebSocket to the host process.
// The per-run token travels as a subprotocol (browsers cannot set headers on a
// WebSocket handshake). Requests made while the socket is down wait for it; every
// request has a deadline; a dropped socket is reopened with exponential backoff.
import {
  events,
  isEventName,
  isRequestName,
  requests,
  type EventName,
  type EventPayload,
  type RequestName,
} from '../../../shared/ipc/contract.js';
import { ContractError } from '../../../shared/ipc/errors.js';
import type { Runtime } from '../../../shared/ipc/runtime.js';
import { z } from 'zod';
import { MAX_FRAME_BYTES, TOKEN_PROTOCOL_PREFIX, type ClientFrame, type ServerFrame } from '../../../shared/ipc/wire.js';
import { toContractError } from './errors.js';

// The frames of shared/ipc/wire.ts, checked with a plain union: zod 4 refuses a
// discriminated union whose two 'res' shapes share the discriminator value.
const Id = z.number().int().nonnegative();
const IncomingFrame: z.ZodType<ServerFrame> = z.union([
  z.object({ t: z.literal('res'), id: Id, ok: z.literal(true), value: z.unknown() }),
  z.object({ t: z.literal('res'), id: Id, ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ t: z.literal('evt'), ch: z.string(), payload: z.unknown() }),
]);

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionInfo {
  state: ConnectionState;
  /** Consecutive failed attempts since the socket was last open. */
  failures: number;
  /** When reconnecting: milliseconds until the next attempt. */
  retryInMs?: number;
}

/** The part of the DOM WebSocket this client uses; tests pass a stand-in class. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export interface WebRuntimeOptions {
  url: string;
  token: string;
  createSocket?: SocketFactory;
  /** Deadline for one request, from the call until the answer. */
  requestTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface WebRuntime extends Runtime {
  readonly connection: ConnectionInfo;
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** Closes the socket for good and fails every waiting request. */
  close(): void;
}

const OPEN = 1;

interface Pending {
  channel: RequestName;
  frame: string;
  sent: boolean;
  resolve: (v: unknown) => void;
  reject: (e: ContractError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

export function createWebRuntime(options: WebRuntimeOptions): WebRuntime {
  const createSocket: SocketFactory = options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike);
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const initialMs = options.backoffInitialMs ?? 250;
  const maxMs = options.backoffMaxMs ?? 10_000;

  let socket: SocketLike | null = null;
  let nextId = 1;
  let closedForGood = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let info: ConnectionInfo = { state: 'connecting', failures: 0 };
  const pending = new Map<number, Pending>();
  const eventListeners = new Map<EventName, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();

  function setInfo(next: ConnectionInfo): void {
    info = next;
    for (const l of [...connectionListeners]) l(info);
  }

  function settle(id: number): Pending | undefined {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  function flush(): void {
    if (!socket || socket.readyState !== OPEN) return;
    for (const p of pending.values()) {
      if (p.sent) continue;
      p.sent = true;
      socket.send(p.frame);
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string' || data.length > MAX_FRAME_BYTES) return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = IncomingFrame.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.t === 'evt') {
      if (!isEventName(frame.ch)) return;
      const payload = events[frame.ch].safeParse(frame.payload);
      if (!payload.success) return;
      for (const l of [...(eventListeners.get(frame.ch) ?? [])]) l(payload.data as never);
      return;
    }
    const p = settle(frame.id);
    if (!p) return;
    if (!frame.ok) {
      p.reject(toContractError(frame.error));
      return;
    }
    const out = requests[p.channel].output.safeParse(frame.value);
    if (out.success) p.resolve(out.data);
    else
      p.reject(
        new ContractError('internal', `The background service sent an answer to ${p.channel} that this version does not understand.`),
      );
  }

  function connect(): void {
    if (closedForGood) return;
    const ws = createSocket(options.url, [TOKEN_PROTOCOL_PREFIX + options.token]);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      if (socket !== ws) return;
      opened = true;
      setInfo({ state: 'open', failures: 0 });
      flush();
    };
    ws.onmessage = (ev) => {
      if (socket === ws) onMessage(ev.data);
    };
    ws.onerror = () => {
      // A close event always follows; that is where recovery happens.
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, p] of [...pending]) {
        if (!p.sent) continue;
        settle(id);
        p.reject(
          new ContractError(
            'unavailable',
            `The connection to the background service dropped while waiting for ${p.channel}; please try again.`,
          ),
        );
      }
      if (closedForGood) return;
      const failures = opened ? 1 : info.failures + 1;
      const retryInMs = backoffDelay(failures, initialMs, maxMs);
      setInfo({ state: 'reconnecting', failures, retryInMs });
      retryTimer = setTimeout(() => {
        retryTimer = null;
        setInfo({ state: 'connecting', failures });
        connect();
      }, retryInMs);
    };
  }

  const runtime: WebRuntime = {
    host: 'web',
    get connection() {
      return info;
    },
    invoke(channel, input) {
      if (closedForGood) return Promise.reject(new ContractError('unavailable', 'The connection to the background service is closed.'));
      if (!isRequestName(channel)) return Promise.reject(new ContractError('unknown_channel', `unknown channel: ${String(channel)}`));
      const id = nextId++;
      const frame: ClientFrame = { t: 'req', id, ch: channel, input: input ?? {} };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          if (!settle(id)) return;
          const seconds = Math.round(timeoutMs / 100) / 10;
          const why = info.state === 'open' ? 'did not answer' : 'could not be reached';
          reject(new ContractError('unavailable', `The background service ${why} within ${seconds} s (${channel}).`));
        }, timeoutMs);
        pending.set(id, { channel, frame: JSON.stringify(frame), sent: false, resolve: resolve as (v: unknown) => void, reject, timer });
        flush();
      });
    },
    on(event, listener) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      const l = listener as (payload: never) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close() {
      if (closedForGood) return;
      closedForGood = true;
      if (retryTimer) clearTimeout(retryTimer);
      const ws = socket;
      socket = null;
      ws?.close(1000, 'closed by the client');
      for (const [id, p] of [...pending]) {
        settle(id);
        p.reject(new ContractError('unavailable', 'The connection to the background service is closed.'));
      }
      setInfo({ state: 'closed', failures: info.failures });
    },
  };

  connect();
  return runtime;
}

export type { EventPayload };
