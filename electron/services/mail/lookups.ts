// Directory answers shared by the sends and receives in flight. Eight messages sending at
// once to one recipient, or a batch of Tells from one sender, each asked the directory for
// the same record and the same server list; a question already on its way to the directory
// now answers everyone who asks it meanwhile. Nothing is kept once the answer is in: the
// next question goes to the directory again, so a changed record or server list is seen as
// soon as before.
import type { DirectoryClient, ServerDescriptor } from '../directory/client.js';

export type DirectoryLookups = Pick<DirectoryClient, 'lookup' | 'servers'>;

const inFlight = new Map<string, Promise<unknown>>();
/** Clients without a URL (stand-ins in tests) share only with themselves. */
const anonymous = new WeakMap<object, string>();
let nextAnonymous = 0;

function keyOf(d: DirectoryLookups): string {
  const url = (d as { url?: unknown }).url;
  if (typeof url === 'string') return url;
  let k = anonymous.get(d);
  if (!k) anonymous.set(d, (k = `#${nextAnonymous++}`));
  return k;
}

function shared<T>(key: string, ask: () => Promise<T>): Promise<T> {
  const cur = inFlight.get(key) as Promise<T> | undefined;
  if (cur) return cur;
  const p = ask().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** `d`'s lookup and server list, asked once for all callers while a question is in flight. */
export function sharedLookups(d: DirectoryLookups): DirectoryLookups {
  const base = keyOf(d);
  return {
    lookup: (address) => shared(`${base} identity ${address}`, () => d.lookup(address)),
    // Each caller gets its own copies of the descriptors, as from the client.
    servers: async () => (await shared(`${base} servers`, () => d.servers())).map((s: ServerDescriptor) => ({ ...s })),
  };
}
