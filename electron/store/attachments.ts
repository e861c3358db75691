// Attachments on disk, sealed: one file per attachment under the profile, its bytes in 1 MiB
// chunks, each sealed (AES-256-GCM, the vault data key) and bound to the file's id, its
// position and whether it is the last, so chunks cannot be swapped, dropped or cut off.
// File: "QAT1" ‖ count × (sealed length u32 ‖ sealed chunk). Read back as a stream, never whole.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gcmOpen, gcmSeal } from '../services/crypto/offload.js';
import { SEAL_NONCE_BYTES, SEAL_TAG_BYTES, SEAL_VERSION, SealError, type SecretBox } from './secret-box.js';

const MAGIC = Buffer.from('QAT1');
export const ATTACHMENT_CHUNK_BYTES = 1 << 20;
/** A sealed chunk: version, nonce, tag around at most one chunk. */
const MAX_SEALED = ATTACHMENT_CHUNK_BYTES + 1 + 12 + 16;
const REF = /^[0-9a-f]{32}$/;

export class AttachmentStoreError extends Error {
  override readonly name = 'AttachmentStoreError';
  constructor(
    readonly code: 'bad_ref' | 'malformed' | 'truncated',
    message: string,
  ) {
    super(message);
  }
}

/** Chunks from this size on are sealed and opened in the side worker (crypto/offload.ts); smaller ones here. */
const OFF_THREAD_BYTES = 64 << 10;

/**
 * One sealed chunk opened (SecretBox's format), in the side worker when large. `sealed`'s
 * buffer is handed over when it is one the caller owns whole: it comes back as `back`.
 */
async function openChunk(box: SecretBox, sealed: Uint8Array, at: string): Promise<{ bytes: Buffer; back?: ArrayBuffer }> {
  if (sealed.length < OFF_THREAD_BYTES) return { bytes: box.open(sealed, at), back: sealed.buffer as ArrayBuffer };
  if (sealed[0] !== SEAL_VERSION) throw new SealError('sealed value is malformed');
  const iv = sealed.slice(1, 1 + SEAL_NONCE_BYTES);
  const r = await box.lendKey((key) =>
    gcmOpen({
      key,
      iv,
      aad: Buffer.from(at, 'utf8'),
      sealed: sealed.subarray(1 + SEAL_NONCE_BYTES),
      transfer: [sealed.buffer as ArrayBuffer],
    }),
  );
  if (!r.data) throw new SealError('sealed value does not open with this key');
  const back = r.back[0];
  return { bytes: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length), ...(back ? { back } : {}) };
}

const aad = (ref: string, index: number, last: boolean) => `qmail.attachment.v1:${ref}:${index}:${last ? 'end' : 'more'}`;

export interface AttachmentWriter {
  write(bytes: Uint8Array): Promise<void>;
  /** Seals what is held as the last chunk, closes the file; returns its ref. */
  finish(): Promise<string>;
  abort(): Promise<void>;
}

export class AttachmentStore {
  constructor(
    readonly dir: string,
    private readonly box: () => SecretBox,
  ) {}

  private path(ref: string): string {
    if (!REF.test(ref)) throw new AttachmentStoreError('bad_ref', 'not an attachment reference');
    return join(this.dir, ref);
  }

  /** A new attachment, written in order; nothing is readable under its ref before finish(). */
  create(): AttachmentWriter {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const ref = randomBytes(16).toString('hex');
    const path = this.path(ref);
    const box = this.box();
    let fh: Promise<FileHandle> | undefined;
    // The chunk being filled, copied into as bytes come (no list of pieces to join), and the
    // buffer the last record was written from: both go to the sealing worker and come back.
    let chunk: Uint8Array = new Uint8Array(ATTACHMENT_CHUNK_BYTES);
    let fill = 0;
    let spare: ArrayBuffer | undefined;
    let index = 0;
    let closed = false;
    const file = () => (fh ??= open(path, 'wx', 0o600).then(async (h) => (await h.write(MAGIC), h)));
    const seal = async (length: number, last: boolean) => {
      const at = aad(ref, index++, last);
      if (length < OFF_THREAD_BYTES) {
        const sealed = box.seal(chunk.subarray(0, length), at);
        const len = Buffer.alloc(4);
        len.writeUInt32BE(sealed.length);
        await (await file()).write(Buffer.concat([len, sealed]));
        return;
      }
      // The same record, "sealed length ‖ version ‖ nonce ‖ ciphertext ‖ tag", sealed in the
      // side worker straight into one buffer.
      const nonce = randomBytes(SEAL_NONCE_BYTES);
      const prefix = Buffer.alloc(4 + 1 + SEAL_NONCE_BYTES);
      prefix.writeUInt32BE(1 + SEAL_NONCE_BYTES + length + SEAL_TAG_BYTES, 0);
      prefix[4] = SEAL_VERSION;
      prefix.set(nonce, 5);
      const out = spare;
      spare = undefined;
      const r = await box.lendKey((key) =>
        gcmSeal({
          key,
          iv: nonce,
          aad: Buffer.from(at, 'utf8'),
          parts: [chunk.subarray(0, length)],
          transfer: [chunk.buffer as ArrayBuffer],
          prefix,
          ...(out ? { out } : {}),
        }),
      );
      const back = r.back.find((b) => b.byteLength === ATTACHMENT_CHUNK_BYTES);
      chunk = back ? new Uint8Array(back) : new Uint8Array(ATTACHMENT_CHUNK_BYTES);
      const record = r.data!;
      await (await file()).write(record);
      spare = record.buffer as ArrayBuffer;
    };
    return {
      async write(bytes) {
        if (closed) throw new AttachmentStoreError('malformed', 'the attachment is closed');
        // Full chunks go out as they fill; the rest (maybe nothing) is sealed last by finish().
        for (let at = 0; at < bytes.length;) {
          const n = Math.min(bytes.length - at, ATTACHMENT_CHUNK_BYTES - fill);
          chunk.set(bytes.subarray(at, at + n), fill);
          fill += n;
          at += n;
          if (fill === ATTACHMENT_CHUNK_BYTES) {
            await seal(fill, false);
            fill = 0;
          }
        }
      },
      async finish() {
        closed = true;
        await seal(fill, true);
        const h = await file();
        await h.sync();
        await h.close();
        return ref;
      },
      async abort() {
        if (closed && !fh) return;
        closed = true;
        await (await fh?.catch(() => undefined))?.close().catch(() => undefined);
        await rm(path, { force: true });
      },
    };
  }

  /** Stores bytes held in memory (an attachment handed over whole). */
  async put(bytes: Uint8Array): Promise<string> {
    const w = this.create();
    try {
      await w.write(bytes);
      return await w.finish();
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  /** The attachment's bytes, chunk by chunk; fails (AttachmentStoreError, SealError) on anything altered or cut off. */
  read(ref: string): Readable {
    const path = this.path(ref);
    const box = this.box();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const fh = await open(path, 'r');
      try {
        const size = (await fh.stat()).size;
        const head = Buffer.alloc(4);
        let at = 0;
        const exact = async <T extends Uint8Array>(buf: T): Promise<T> => {
          const { bytesRead } = await fh.read(buf, 0, buf.length, at);
          if (bytesRead !== buf.length) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
          at += buf.length;
          return buf;
        };
        if (!(await exact(head)).equals(MAGIC)) throw new AttachmentStoreError('malformed', 'not a sealed attachment');
        // Sealed chunks are read into one buffer, lent to the opening worker and given back.
        let sealedBuf = new ArrayBuffer(MAX_SEALED);
        for (let index = 0; ; index++) {
          if (at === size) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
          const len = (await exact(head)).readUInt32BE(0);
          if (len < 29 || len > MAX_SEALED || at + len > size)
            throw new AttachmentStoreError('malformed', 'bad chunk length in a sealed attachment');
          const sealed = await exact(new Uint8Array(sealedBuf, 0, len));
          const last = at === size;
          const opened = await openChunk(box, sealed, aad(ref, index, last));
          sealedBuf = opened.back ?? new ArrayBuffer(MAX_SEALED);
          yield opened.bytes;
          if (last) return;
        }
      } finally {
        await fh.close();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /**
   * The plaintext chunk `index` (1 MiB each, the last one shorter) and whether it is the last:
   * every chunk but the last has the same sealed size, so it is found without reading the rest.
   */
  async readChunk(ref: string, index: number): Promise<{ bytes: Buffer; last: boolean }> {
    const path = this.path(ref);
    if (!Number.isSafeInteger(index) || index < 0) throw new AttachmentStoreError('malformed', 'bad chunk index');
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const at = 4 + index * (4 + MAX_SEALED);
      if (at + 4 > size) throw new AttachmentStoreError('truncated', 'no such chunk in the attachment');
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, at);
      const len = head.readUInt32BE(0);
      if (len < 29 || len > MAX_SEALED || at + 4 + len > size)
        throw new AttachmentStoreError('malformed', 'bad chunk length in a sealed attachment');
      const sealed = new Uint8Array(len);
      const { bytesRead } = await fh.read(sealed, 0, len, at + 4);
      if (bytesRead !== len) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
      const last = at + 4 + len === size;
      return { bytes: (await openChunk(this.box(), sealed, aad(ref, index, last))).bytes, last };
    } finally {
      await fh.close();
    }
  }

  /** Drops an attachment; quiet when it is not there. */
  async remove(ref: string): Promise<void> {
    await rm(this.path(ref), { force: true });
  }
}
