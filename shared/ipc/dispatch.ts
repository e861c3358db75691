import { ContractError, type Result } from './errors.js';
import { isRequestName, requests, type RequestArgs, type RequestName, type RequestOutput } from './contract.js';

export type Handlers = { [K in RequestName]: (input: RequestArgs<K>) => Promise<RequestOutput<K>> | RequestOutput<K> };
export type Dispatch = (channel: unknown, input: unknown) => Promise<Result<unknown>>;

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * Turns a set of handlers into the single entry point both transports call. Input is
 * validated before a handler runs and output after, so neither side trusts the other.
 */
export function createDispatcher(handlers: Handlers, onInternalError: (e: unknown) => void = () => {}): Dispatch {
  return async (channel, input) => {
    if (!isRequestName(channel))
      return { ok: false, error: { code: 'unknown_channel', message: `unknown channel: ${String(channel).slice(0, 64)}` } };
    const spec = requests[channel];
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) return { ok: false, error: { code: 'invalid_input', message: describeIssues(parsed.error) } };
    try {
      const handler = handlers[channel] as (i: unknown) => unknown;
      const value = await handler(parsed.data);
      const out = spec.output.safeParse(value);
      if (!out.success) throw new Error(`handler for ${channel} returned an invalid response: ${describeIssues(out.error)}`);
      return { ok: true, value: out.data };
    } catch (e) {
      if (e instanceof ContractError) return { ok: false, error: { code: e.code, message: e.message } };
      onInternalError(e);
      return { ok: false, error: { code: 'internal', message: 'Something went wrong in the background service; details are in its log.' } };
    }
  };
}
