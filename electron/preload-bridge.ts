// What the preload exposes, built from two injected functions so it is testable without
// Electron. Only contract channels pass, every payload is validated on the way out and
// on the way in, and nothing of Electron (no ipcRenderer, no event objects) crosses.
import {
  ContractError,
  events,
  isEventName,
  isRequestName,
  requests,
  type ErrorCode,
  type EventName,
  type Result,
  type Runtime,
} from '../shared/ipc/index.js';

export const REQUEST_CHANNEL_PREFIX = 'qmail:req:';
export const EVENT_CHANNEL = 'qmail:event';

export interface BridgeDeps {
  invoke(channel: string, input: unknown): Promise<unknown>;
  subscribe(channel: string, listener: (ch: unknown, payload: unknown) => void): () => void;
}

export function createBridge(deps: BridgeDeps): Runtime {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let unsubscribe: (() => void) | null = null;

  const ensureSubscribed = () => {
    unsubscribe ??= deps.subscribe(EVENT_CHANNEL, (ch, payload) => {
      if (!isEventName(ch)) return;
      const parsed = events[ch].safeParse(payload);
      if (!parsed.success) return;
      for (const l of listeners.get(ch) ?? []) l(parsed.data);
    });
  };

  const runtime: Runtime = {
    host: 'electron',
    async invoke(channel, input) {
      if (!isRequestName(channel)) throw new ContractError('unknown_channel', `unknown channel: ${String(channel)}`);
      const parsed = requests[channel].input.safeParse(input ?? {});
      if (!parsed.success) throw new ContractError('invalid_input', parsed.error.issues.map((i) => i.message).join('; '));
      const result = (await deps.invoke(REQUEST_CHANNEL_PREFIX + channel, parsed.data)) as Result<unknown>;
      if (!result || typeof result !== 'object') throw new ContractError('internal', 'malformed reply from the main process');
      if (!result.ok) throw new ContractError(result.error.code as ErrorCode, result.error.message);
      const out = requests[channel].output.safeParse(result.value);
      if (!out.success) throw new ContractError('internal', `malformed reply on ${channel}`);
      return out.data as never;
    },
    on(event, listener) {
      if (!isEventName(event)) throw new ContractError('unknown_channel', `unknown event: ${String(event)}`);
      ensureSubscribed();
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
  return Object.freeze(runtime);
}

/** "[code] message": the form in which a ContractError survives contextBridge. */
export function encodeErrorForBridge(e: unknown): string {
  if (e instanceof ContractError) return `[${e.code}] ${e.message}`;
  return `[internal] ${e instanceof Error ? e.message : 'Something went wrong.'}`;
}
