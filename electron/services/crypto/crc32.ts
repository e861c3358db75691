// CRC32 (the zlib / ISO-HDLC polynomial) for the stream path. @node-rs/crc32 folds with
// carry-less multiplication (≈11 GB/s here, against ≈4 GB/s for node:zlib's crc32), which
// matters because every stripe byte is checksummed. Its native build comes per platform as
// an optional package; where it does not load, node:zlib's answers the same values.
import { createRequire } from 'node:module';
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Running CRC32: `crc32(b, crc32(a)) === crc32(a ‖ b)`. */
export type Crc32 = (data: Uint8Array, running?: number) => number;

function loadNative(): Crc32 | undefined {
  try {
    const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32(data: Uint8Array, initial?: number): number };
    const probe = new TextEncoder().encode('123456789');
    // The standard check value: a build that disagrees is not used.
    return native.crc32(probe, 0) === 0xcbf43926 ? (data, running = 0) => native.crc32(data, running) : undefined;
  } catch {
    return undefined;
  }
}

const native = loadNative();

export const crc32Zlib: Crc32 = (data, running = 0) => zlibCrc32(data, running);
export const crc32: Crc32 = native ?? crc32Zlib;
/** Which implementation `crc32` is (benchmarks and diagnostics report it). */
export const crc32Implementation: 'native' | 'zlib' = native ? 'native' : 'zlib';
