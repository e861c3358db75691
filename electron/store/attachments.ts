// Attachments on disk, sealed: one file per attachment under the profile, its bytes in 1 MiB
// chunks, each sealed (AES-256-GCM, the vault data key) and bound to the file's id, its
// position and whether it is the last, so chunks cannot be swapped, dropped or cut off.
// File: "QAT1" ‖ count × (sealed length u32 ‖ sealed chunk). Read back as a stream, never whole.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SecretBox } from './secret-box.js';

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
    let held: Buffer[] = [];
    let heldBytes = 0;
    let index = 0;
    let closed = false;
    const file = () => (fh ??= open(path, 'wx', 0o600).then(async (h) => (await h.write(MAGIC), h)));
    const seal = async (part: Buffer, last: boolean) => {
      const sealed = box.seal(part, aad(ref, index++, last));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(sealed.length);
      await (await file()).write(Buffer.concat([len, sealed]));
    };
    // Full chunks go out as they fill; the rest (maybe nothing) is sealed last by finish().
    const flush = async () => {
      let all = held.length === 1 ? held[0]! : Buffer.concat(held);
      while (all.length >= ATTACHMENT_CHUNK_BYTES) {
        await seal(all.subarray(0, ATTACHMENT_CHUNK_BYTES), false);
        all = all.subarray(ATTACHMENT_CHUNK_BYTES);
      }
      held = [Buffer.from(all)];
      heldBytes = all.length;
    };
    return {
      async write(bytes) {
        if (closed) throw new AttachmentStoreError('malformed', 'the attachment is closed');
        held.push(Buffer.from(bytes));
        heldBytes += bytes.length;
        if (heldBytes >= ATTACHMENT_CHUNK_BYTES) await flush();
      },
      async finish() {
        closed = true;
        await flush();
        await seal(held[0] ?? Buffer.alloc(0), true);
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
    async function* chunks(): AsyncGenerator<Buffer> {
      const fh = await open(path, 'r');
      try {
        const size = (await fh.stat()).size;
        const head = Buffer.alloc(4);
        let at = 0;
        const exact = async (buf: Buffer) => {
          const { bytesRead } = await fh.read(buf, 0, buf.length, at);
          if (bytesRead !== buf.length) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
          at += buf.length;
          return buf;
        };
        if (!(await exact(head)).equals(MAGIC)) throw new AttachmentStoreError('malformed', 'not a sealed attachment');
        for (let index = 0; ; index++) {
          if (at === size) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
          const len = (await exact(Buffer.alloc(4))).readUInt32BE(0);
          if (len < 29 || len > MAX_SEALED || at + len > size)
            throw new AttachmentStoreError('malformed', 'bad chunk length in a sealed attachment');
          const sealed = await exact(Buffer.alloc(len));
          const last = at === size;
          yield box.open(sealed, aad(ref, index, last));
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
      const sealed = Buffer.alloc(len);
      const { bytesRead } = await fh.read(sealed, 0, len, at + 4);
      if (bytesRead !== len) throw new AttachmentStoreError('truncated', 'the attachment file is cut off');
      const last = at + 4 + len === size;
      return { bytes: this.box().open(sealed, aad(ref, index, last)), last };
    } finally {
      await fh.close();
    }
  }

  /** Drops an attachment; quiet when it is not there. */
  async remove(ref: string): Promise<void> {
    await rm(this.path(ref), { force: true });
  }
}
