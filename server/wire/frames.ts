// Incremental RAIDA request framing over a byte stream: collect the 32-byte header,
// validate it, then collect exactly bodyLength bytes. Never copies more than once and
// never buffers beyond the configured packet cap.
import { HEADER_LENGTH, RaidaError, Status, checkRequestLength, decodeRequestHeader, type DecodeRequestHeaderOptions, type RequestHeader } from '../../shared/raida/index.js';

export type Frame =
  | { kind: 'request'; header: RequestHeader; wireBody: Uint8Array }
  /** A header we cannot trust: answer with `status` and close, the stream is out of sync. */
  | { kind: 'fatal'; status: number; group: number; echo: number; message: string };

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: RequestHeader | null = null;
  private dead = false;

  constructor(private readonly maxBody: number, private readonly headerOptions: DecodeRequestHeaderOptions = {}) {}

  get pendingBytes(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  /** Feed bytes; returns the complete frames they finish (a fatal frame ends the stream). */
  push(data: Buffer): Frame[] {
    if (this.dead) return [];
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_LENGTH) break;
        const raw = this.take(HEADER_LENGTH);
        const group = raw[4]!;
        const echo = (raw[30]! << 8) | raw[31]!;
        try {
          const h = decodeRequestHeader(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), this.headerOptions);
          checkRequestLength(h, { maxBodyLength: this.maxBody });
          this.header = h;
        } catch (e) {
          this.dead = true;
          const status = e instanceof RaidaError ? e.status : Status.INVALID_PACKET_LENGTH;
          out.push({ kind: 'fatal', status, group, echo, message: (e as Error).message });
          return out;
        }
      }
      const need = this.header.bodyLength;
      if (this.buffered < need) break;
      const body = this.take(need);
      out.push({ kind: 'request', header: this.header, wireBody: new Uint8Array(body.buffer, body.byteOffset, body.length) });
      this.header = null;
    }
    return out;
  }

  /** Whether a partly received frame is pending (the peer stopped mid-packet). */
  get midFrame(): boolean {
    return !this.dead && (this.header !== null || this.buffered > 0);
  }
  get partialGroup(): number {
    return this.header?.group ?? (this.chunks[0] && this.chunks[0].length > 4 ? this.chunks[0][4]! : 0);
  }
}
