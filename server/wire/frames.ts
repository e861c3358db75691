// Incremental RAIDA request framing over a byte stream, header first: collect the 32-byte
// header, validate it (version, encryption, and the body length against the bound for
// that command), then accept exactly the body length it declares. Memory is committed
// only for what a header is allowed to declare:
//  - a command without bulk data may declare at most `preAuthBytes` (the pre-auth budget);
//  - a bulk command (upload 60/70, upload_large_page 75, put_range 78) declaring more
//    than that stops after its first GATE_PREFIX body bytes (challenge + preamble) with
//    a `gate` frame; the caller checks who is sending, then `admit()`s the rest (or drops
//    the connection). Bytes that arrive meanwhile are held, not parsed.
// Each body is one buffer of the declared length, filled as chunks arrive; chunks are
// not kept once copied. `release()` drops everything when the connection ends.
import {
  Group,
  HEADER_LENGTH,
  LegacyQMailCommand,
  QMailCommand,
  RaidaError,
  Status,
  checkRequestLength,
  decodeRequestHeader,
  type DecodeRequestHeaderOptions,
  type RequestHeader,
} from '../../shared/raida/index.js';
import { MAX_RANGE, TransferCommand } from '../handlers/transfer.js';
import { PAGE_SIZE } from '../storage/index.js';

export type Frame =
  | { kind: 'request'; header: RequestHeader; wireBody: Uint8Array }
  /** A bulk body larger than the pre-auth budget: its first GATE_PREFIX bytes, the rest waits for `admit()`. */
  | { kind: 'gate'; header: RequestHeader; prefix: Uint8Array }
  /** A header we cannot trust: answer with `status` and close, the stream is out of sync. */
  | { kind: 'fatal'; status: number; group: number; echo: number; message: string };

/** Body bytes a gate frame carries: [sent_at(8), EXT-8] challenge(16) + the rest of the Group 6 preamble (32). */
export const GATE_PREFIX = 64;

/** Room above a bulk command's data for its fields, the terminator and envelope growth. */
const BULK_SLACK = 1024;

export interface FrameLimits {
  /** Largest body any header may declare (limits.maxPacketBytes − 32). */
  maxBody: number;
  /** Largest body buffered before its sender is authenticated; also the bound for every non-bulk command. */
  preAuthBytes: number;
  /** Whether 60 (the CloudCoin client's upload) is served. */
  legacy?: boolean;
}

/** The largest body a bulk command may declare, or null for a command without bulk data. */
export function bulkBodyLimit(group: number, command: number, limits: FrameLimits): number | null {
  if (group !== Group.QMAIL) return null;
  switch (command) {
    case QMailCommand.UPLOAD:
      return limits.maxBody;
    case LegacyQMailCommand.UPLOAD:
      return limits.legacy ? limits.maxBody : null;
    case QMailCommand.UPLOAD_LARGE_PAGE:
      return Math.min(limits.maxBody, PAGE_SIZE + BULK_SLACK);
    case TransferCommand.PUT_RANGE:
      return Math.min(limits.maxBody, MAX_RANGE + BULK_SLACK);
    default:
      return null;
  }
}

/** The largest body this command's header may declare. */
export function bodyLimit(group: number, command: number, limits: FrameLimits): number {
  return bulkBodyLimit(group, command, limits) ?? Math.min(limits.maxBody, limits.preAuthBytes);
}

const view = (b: Buffer, n = b.length) => new Uint8Array(b.buffer, b.byteOffset, n);

export class FrameReader {
  private head = Buffer.allocUnsafe(HEADER_LENGTH);
  private headLen = 0;
  private header: RequestHeader | null = null;
  private body: Buffer | null = null;
  private bodyLen = 0;
  /** The body buffer holds only the gate prefix so far. */
  private gating = false;
  /** A gate frame was emitted; input is held until admit(). */
  private gated = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private dead = false;

  constructor(
    private readonly limits: FrameLimits,
    private readonly headerOptions: DecodeRequestHeaderOptions = {},
  ) {}

  /** Bytes this reader holds: the partial header, the body buffer committed so far, held input. */
  get pendingBytes(): number {
    return this.headLen + (this.body?.length ?? 0) + this.heldBytes;
  }

  /** Waiting for admit() after a gate frame. */
  get waiting(): boolean {
    return this.gated;
  }

  /** Feed bytes; returns the complete frames they finish (a fatal frame ends the stream, a gate frame pauses it). */
  push(data: Buffer): Frame[] {
    if (this.dead || data.length === 0) return [];
    if (this.gated) {
      this.held.push(data);
      this.heldBytes += data.length;
      return [];
    }
    const out: Frame[] = [];
    let at = 0;
    while (at < data.length) {
      if (!this.header) {
        const k = Math.min(HEADER_LENGTH - this.headLen, data.length - at);
        data.copy(this.head, this.headLen, at, at + k);
        this.headLen += k;
        at += k;
        if (this.headLen < HEADER_LENGTH) break;
        const raw = this.head;
        this.head = Buffer.allocUnsafe(HEADER_LENGTH); // the decoded header keeps views of raw
        this.headLen = 0;
        try {
          const h = decodeRequestHeader(view(raw), this.headerOptions);
          checkRequestLength(h, { maxBodyLength: bodyLimit(h.group, h.command, this.limits) });
          this.header = h;
        } catch (e) {
          this.dead = true;
          const status = e instanceof RaidaError ? e.status : Status.INVALID_PACKET_LENGTH;
          out.push({ kind: 'fatal', status, group: raw[4]!, echo: (raw[30]! << 8) | raw[31]!, message: (e as Error).message });
          return out;
        }
        this.gating =
          this.header.bodyLength > this.limits.preAuthBytes && bulkBodyLimit(this.header.group, this.header.command, this.limits) !== null;
        this.body = Buffer.allocUnsafe(this.gating ? GATE_PREFIX : this.header.bodyLength);
        this.bodyLen = 0;
        continue;
      }
      const body = this.body!;
      const k = Math.min(body.length - this.bodyLen, data.length - at);
      data.copy(body, this.bodyLen, at, at + k);
      this.bodyLen += k;
      at += k;
      if (this.bodyLen < body.length) break;
      if (this.gating) {
        out.push({ kind: 'gate', header: this.header, prefix: view(body) });
        this.gated = true;
        if (at < data.length) {
          this.held.push(data.subarray(at));
          this.heldBytes += data.length - at;
        }
        return out;
      }
      out.push({ kind: 'request', header: this.header, wireBody: view(body) });
      this.header = null;
      this.body = null;
      this.bodyLen = 0;
    }
    return out;
  }

  /** After a gate frame: accept the whole declared body; returns frames the held input completes. */
  admit(): Frame[] {
    if (!this.gated || !this.header || !this.body) return [];
    const full = Buffer.allocUnsafe(this.header.bodyLength);
    this.body.copy(full, 0, 0, this.bodyLen);
    this.body = full;
    this.gating = false;
    this.gated = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    const out: Frame[] = [];
    for (const d of held) out.push(...this.push(d));
    return out;
  }

  /** Drop everything; the reader reads nothing more. */
  release(): void {
    this.dead = true;
    this.header = null;
    this.body = null;
    this.held = [];
    this.heldBytes = 0;
    this.headLen = 0;
  }

  /** Whether a partly received frame is pending (the peer stopped mid-packet). */
  get midFrame(): boolean {
    return !this.dead && (this.header !== null || this.headLen > 0);
  }
  get partialGroup(): number {
    return this.header?.group ?? (this.headLen > 4 ? this.head[4]! : 0);
  }
}
