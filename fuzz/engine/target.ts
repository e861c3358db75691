// What a fuzz target is: a function over bytes from outside, and the errors it is allowed
// to raise. Anything else it throws, a hang, or running out of memory is a finding.
import { isDeepStrictEqual } from 'node:util';

export interface FuzzTarget {
  /** Folder name under fuzz/corpus and fuzz/crashers, and the --target argument. */
  name: string;
  /** What the target feeds and to which parsers (shown by `npm run fuzz -- --list`). */
  about: string;
  /** Runs one input; returns normally or throws. */
  fuzz(data: Uint8Array): void;
  /** True for the parser's own typed error; anything else thrown is a crash. */
  expected(e: unknown): boolean;
  /** Source files whose code counts as this target's coverage (substrings of module URLs). */
  sources: string[];
  /** Tokens the mutator splices in (field values, JSON keys, terminators). */
  dictionary?: Uint8Array[];
  /** Largest input the mutator makes (default 4096). */
  maxLength?: number;
}

/** Raised by a target when an invariant other than "no untyped error" fails (round trip, differential). */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function invariant(cond: boolean, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

const enc = new TextEncoder();
/** Dictionary entries given as text or as byte lists. */
export function tokens(...items: (string | number[])[]): Uint8Array[] {
  return items.map((t) => (typeof t === 'string' ? enc.encode(t) : Uint8Array.from(t)));
}

/** Splits an input into a selector byte and the rest, for targets that drive several decoders. */
export function select(data: Uint8Array, choices: number): { choice: number; rest: Uint8Array } {
  if (data.length === 0) return { choice: 0, rest: data };
  return { choice: data[0]! % choices, rest: data.subarray(1) };
}

/** Decodes `bytes`; what decodes must come back unchanged from encode → decode. */
export function roundTrip<T>(label: string, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array, bytes: Uint8Array): T {
  const v = decode(bytes);
  invariant(isDeepStrictEqual(decode(encode(v)), v), `${label}: a decoded value does not survive encode → decode`);
  return v;
}

/** A fuzz function that hands the input, less its first byte, to the decoder that byte selects. */
export function byFirstByte(decoders: readonly ((rest: Uint8Array) => void)[]): (data: Uint8Array) => void {
  return (data) => {
    const { choice, rest } = select(data, decoders.length);
    decoders[choice]!(rest);
  };
}
