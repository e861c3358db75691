// Directory answers shared by the sends, receives and quotes of the next few seconds. Every
// message asked the directory for its recipient's (or sender's) record and for the server list,
// an HTTP round trip and a record check each time: a steady stream of mail to one recipient
// asked the same two questions over and over. Now:
//  - a question already on its way to the directory answers everyone who asks it meanwhile;
//  - an answer is kept for ANSWER_TTL_MS and answers the questions asked in that time;
//  - "not in the directory" and failures are never kept (a new address is seen at once);
//  - at most MAX_KEPT answers are kept (the oldest go first);
//  - `forgetLookups` drops what a directory's answers taught: a send or a receive that fails
//    calls it (a beacon that moved, a server that joined, keys that changed are asked afresh
//    on the retry), and `MailEngine.stop` drops everything at lock.
// The record is the directory's verified one (`directory/client.ts` checked its signature).
import type { DirectoryClient, ServerDescriptor } from '../directory/client.js';

export type DirectoryLookups = Pick<DirectoryClient, 'lookup' | 'servers'>;

/** How long an answer is kept. */
export const ANSWER_TTL_MS = 5000;
/** Answers kept at most (records and server lists of every directory together). */
export const MAX_KEPT = 256;

const inFlight = new Map<string, Promise<unknown>>();
/** Answers by question, oldest first (a Map keeps insertion order). */
const kept = new Map<string, { at: number; value: unknown }>();
/** Bumped by `forgetLookups`: an answer to a question asked before is not kept. */
let generation = 0;
let clock: () => number = () => Date.now();

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

function keep(key: string, value: unknown): void {
  kept.delete(key);
  kept.set(key, { at: clock(), value });
  while (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value!);
}

function shared<T>(key: string, ask: () => Promise<T>): Promise<T> {
  const had = kept.get(key);
  if (had) {
    if (clock() - had.at < ANSWER_TTL_MS) return Promise.resolve(had.value as T);
    kept.delete(key);
  }
  const cur = inFlight.get(key) as Promise<T> | undefined;
  if (cur) return cur;
  const asked = generation;
  const p = ask()
    .then((v) => {
      if (v !== undefined && asked === generation) keep(key, v);
      return v;
    })
    .finally(() => {
      if (inFlight.get(key) === p) inFlight.delete(key);
    });
  inFlight.set(key, p);
  return p;
}

/** `d`'s lookup and server list: kept answers, or one question in flight for all callers. */
export function sharedLookups(d: DirectoryLookups): DirectoryLookups {
  const base = keyOf(d);
  return {
    lookup: (address) => shared(`${base} identity ${address}`, () => d.lookup(address)),
    // Each caller gets its own copies of the descriptors, as from the client.
    servers: async () => (await shared(`${base} servers`, () => d.servers())).map((s: ServerDescriptor) => ({ ...s })),
  };
}

/**
 * Drops the kept answers of `d`'s directory (after a failure that an older answer may explain),
 * or of every directory (at lock). Questions in flight still answer their callers, but their
 * answers are not kept.
 */
export function forgetLookups(d?: DirectoryLookups): void {
  generation++;
  if (!d) {
    kept.clear();
    inFlight.clear();
    return;
  }
  const prefix = `${keyOf(d)} `;
  for (const k of [...kept.keys()]) if (k.startsWith(prefix)) kept.delete(k);
  for (const k of [...inFlight.keys()]) if (k.startsWith(prefix)) inFlight.delete(k);
}

/** How many answers are kept now (tests). */
export function keptLookups(): number {
  return kept.size;
}

/** Tests: the clock the kept answers age by (default Date.now). */
export function setLookupClock(now: () => number = () => Date.now()): void {
  clock = now;
}
