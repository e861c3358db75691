// The per-server result of a coin's last check, one nibble a server in a coin file's header
// and one letter in the `.stack` / file-name form. The nibbles are those of format 9 as the
// running client's heal module writes them; the older `.bin` layout used other values.

/** Format 9 nibble of each letter. */
export const POWN_NIBBLE = { u: 0x0, p: 0xa, b: 0xb, n: 0xc, d: 0xd, e: 0xe, f: 0xf } as const;
export type PownLetter = keyof typeof POWN_NIBBLE;

const LETTER_OF = new Map<number, PownLetter>(Object.entries(POWN_NIBBLE).map(([k, v]) => [v, k as PownLetter]));

/** Nibbles of the older `.bin` (format 1) header, by letter. */
export const OLD_POWN_NIBBLE: Readonly<Record<string, number>> = { p: 0x0, f: 0x1, u: 0x2, e: 0x3, n: 0x4 };
const OLD_LETTER_OF = new Map<number, PownLetter>(Object.entries(OLD_POWN_NIBBLE).map(([k, v]) => [v, k as PownLetter]));

/** Letter of a format 9 nibble; nibbles the format leaves unnamed read as untried. */
export function pownLetter(nibble: number): PownLetter {
  return LETTER_OF.get(nibble) ?? 'u';
}
export function oldPownLetter(nibble: number): PownLetter {
  return OLD_LETTER_OF.get(nibble) ?? 'u';
}

/** Read `count` nibbles, high nibble first. */
export function readNibbles(bytes: Uint8Array, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(i % 2 === 0 ? bytes[i >> 1]! >> 4 : bytes[i >> 1]! & 0x0f);
  return out;
}

/** Write nibbles high first into `out` (which keeps whatever the unwritten nibbles hold). */
export function writeNibbles(out: Uint8Array, nibbles: readonly number[]): void {
  nibbles.forEach((n, i) => {
    const b = out[i >> 1]!;
    out[i >> 1] = i % 2 === 0 ? (b & 0x0f) | ((n & 0x0f) << 4) : (b & 0xf0) | (n & 0x0f);
  });
}

/** A coin is authentic when a strict majority of the network's servers passed it. */
export function majority(servers: number): number {
  return Math.floor(servers / 2) + 1;
}

export type Grade = 'authentic' | 'fracked' | 'counterfeit' | 'limbo';

/**
 * Grade of a coin from its results over the first `servers` slots: authentic with a majority
 * of passes and no fail, fracked with a majority and some fails, counterfeit with a majority
 * of fails, limbo otherwise (too many servers did not answer to know).
 */
export function grade(pown: string, servers: number): Grade {
  const s = pown.slice(0, servers);
  const pass = [...s].filter((c) => c === 'p').length;
  const fail = [...s].filter((c) => c === 'f').length;
  const need = majority(servers);
  if (pass >= need) return fail > 0 ? 'fracked' : 'authentic';
  if (fail >= need) return 'counterfeit';
  return 'limbo';
}
