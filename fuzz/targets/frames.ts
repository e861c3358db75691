// The node's stream framer (server/wire/frames.ts): header first, then exactly the body
// the header declares, within that command's bound; bulk bodies over the pre-auth budget
// stop at a gate frame until admit(). The input's first byte picks the options, the next
// ones the chunk sizes the stream arrives in. Invariants: frames or the fatal refusal
// frame, never an exception; no body over its command's bound; nothing after a fatal
// frame; and the same bytes in one chunk give the same frames.
import { isDeepStrictEqual } from 'node:util';
import { HEADER_LENGTH } from '../../shared/raida/index.js';
import { isLegacyQMailCommand } from '../../shared/qmail/legacy.js';
import { FrameReader, GATE_PREFIX, bodyLimit, bulkBodyLimit, type Frame, type FrameLimits } from '../../server/wire/frames.js';
import { type FuzzTarget, invariant, tokens } from '../engine/target.js';

/** Small bounds, so that bodies at, over and under them fit in a fuzz input. */
export const FUZZ_FRAME_LIMITS: FrameLimits = { maxBody: 1024, preAuthBytes: 96 };

interface Run {
  frames: Frame[];
  pending: number;
}

/** Feeds `chunks` to a fresh reader; admits after each gate frame when `admit`. */
function feed(chunks: Uint8Array[], limits: FrameLimits, versionZero: boolean, admit: boolean): Run {
  const reader = new FrameReader(limits, versionZero ? { versionZero: isLegacyQMailCommand } : {});
  const frames: Frame[] = [];
  const take = (got: Frame[]): void => {
    for (const f of got) {
      invariant(!frames.some((x) => x.kind === 'fatal'), 'a frame after a fatal frame');
      frames.push(f);
    }
  };
  for (const c of chunks) {
    take(reader.push(Buffer.from(c.buffer, c.byteOffset, c.length)));
    while (admit && reader.waiting) take(reader.admit());
  }
  return { frames, pending: reader.pendingBytes };
}

function check(run: Run, limits: FrameLimits, streamLength: number): void {
  let used = 0;
  for (const f of run.frames) {
    if (f.kind === 'fatal') {
      invariant(Number.isInteger(f.status) && f.status >= 0 && f.status <= 255, `fatal frame with status ${f.status}`);
      used += HEADER_LENGTH;
      continue;
    }
    const h = f.header;
    const bound = bodyLimit(h.group, h.command, limits);
    invariant(h.bodyLength <= bound, `a ${f.kind} frame declares ${h.bodyLength} bytes, over its bound ${bound}`);
    if (f.kind === 'request') {
      invariant(f.wireBody.length === h.bodyLength, `request body of ${f.wireBody.length} bytes, header says ${h.bodyLength}`);
      used += HEADER_LENGTH + h.bodyLength;
    } else {
      invariant(f.prefix.length === GATE_PREFIX, `gate prefix of ${f.prefix.length} bytes`);
      invariant(
        h.bodyLength > limits.preAuthBytes && bulkBodyLimit(h.group, h.command, limits) !== null,
        'a gate frame for a body the reader may buffer',
      );
      // Admitted, the same body comes again as a request frame; only a last gate holds bytes of its own.
      if (f === run.frames.at(-1)) used += HEADER_LENGTH + GATE_PREFIX;
    }
  }
  invariant(used <= streamLength, `frames account for ${used} bytes of a ${streamLength}-byte stream`);
}

/** The stream cut into chunks whose sizes cycle through `sizes` (1–256 each). */
function chunked(stream: Uint8Array, sizes: Uint8Array): Uint8Array[] {
  if (sizes.length === 0) return [stream];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const n = sizes[i % sizes.length]! + 1;
    out.push(stream.subarray(at, at + n));
    at += n;
  }
  return out;
}

export const target: FuzzTarget = {
  name: 'frames',
  about: "the node's stream framer: header, per-command body bounds, gate/admit, fed in input-chosen chunks",
  sources: ['/server/wire/frames', '/shared/raida/header', '/shared/raida/'],
  fuzz(data) {
    if (data.length < 2) return;
    const flags = data[0]!;
    const legacy = (flags & 1) !== 0;
    const versionZero = (flags & 2) !== 0;
    const admit = (flags & 4) !== 0;
    const nSizes = Math.min(data[1]! & 0x0f, data.length - 2);
    const sizes = data.subarray(2, 2 + nSizes);
    const stream = data.subarray(2 + nSizes);
    const limits = { ...FUZZ_FRAME_LIMITS, legacy };
    const pieces = feed(chunked(stream, sizes), limits, versionZero, admit);
    check(pieces, limits, stream.length);
    const whole = feed([stream], limits, versionZero, admit);
    invariant(isDeepStrictEqual(pieces.frames, whole.frames), 'the same bytes give other frames in one chunk than in several');
    invariant(pieces.pending === whole.pending, `pending ${pieces.pending} bytes chunked, ${whole.pending} in one chunk`);
  },
  // The framer's refusal is a fatal frame, not an exception: anything thrown is a finding.
  expected: () => false,
  dictionary: tokens(
    [0x01],
    [0x00, 0x06],
    [0x06, 0x3c],
    [0x06, 0x46],
    [0x06, 0x4b],
    [0x06, 0x4e],
    [0x06, 0x55],
    [0xff, 0xff],
    [0x00, 0x00, 0x04, 0x00],
    [0x3e, 0x3e],
  ),
  maxLength: 4096,
};
