// The app's stripe path. A letter up to IN_THREAD_MAX is striped in the calling thread
// (shared/stripe with node:crypto: a worker hand-off costs more than the work); anything
// larger goes through the streamed two-worker pipeline (crypto/stream.ts) into scratch files
// that are uploaded page by page. Both write the same bytes. Received stripes are kept in
// memory up to SPILL_BYTES each, then in scratch files, and decrypted streamed into the
// letter's sink. Scratch files hold stripe ciphertext only and are removed after each use.
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { decryptMessage, encryptMessage, newMessageSecrets, type Layout } from '../../../shared/stripe/index.js';
import type { MessageSecrets, StripeProblem } from '../../../shared/stripe/message.js';
import { nodeBackend } from '../crypto/node-backend.js';
import { decryptMessageStream, encryptMessageStream } from '../crypto/stream.js';
import type { ObjectSource } from '../net/group6.js';

/** Letters up to this size are striped and rebuilt in the calling thread (measured: see docs/architecture-mail.md). */
export const IN_THREAD_MAX = 1 << 20;
/** A received stripe past this size goes to a scratch file as it downloads. */
export const SPILL_BYTES = 1 << 20;

/** The encoded letter: whole, or read as it is striped. */
export type Bundle = Uint8Array | { length: number; open(): Readable };

export interface Striped {
  secrets: MessageSecrets;
  /** Each slot's stored object. */
  slots: (Uint8Array | ObjectSource)[];
  /** Removes the scratch files (after the uploads). */
  dispose(): Promise<void>;
}

async function scratch(dir: string | undefined): Promise<string> {
  return mkdtemp(join(dir ?? tmpdir(), 'qmail-stripes-'));
}

/** A file read at any offset, opened once. */
function fileSource(path: string, length: number, handles: Promise<FileHandle>[]): ObjectSource {
  let fh: Promise<FileHandle> | undefined;
  return {
    length,
    async read(offset, n) {
      if (!fh) handles.push((fh = open(path, 'r')));
      const out = new Uint8Array(n);
      const { bytesRead } = await (await fh).read(out, 0, n, offset);
      if (bytesRead !== n) throw new Error('a stripe file was cut short');
      return out;
    },
  };
}

async function readWhole(b: { length: number; open(): Readable }): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of b.open()) parts.push(c as Buffer);
  const all = Buffer.concat(parts);
  if (all.length !== b.length) throw new Error('the letter changed size while it was read');
  return new Uint8Array(all.buffer, all.byteOffset, all.length);
}

/**
 * Stripes the letter. `onSecrets`, when given, is called with the message's keys before a
 * small letter is encrypted (the send starts sealing its capsules in the signature worker
 * meanwhile); a large letter's keys come out of the pipeline with its stripes, and it is not called.
 */
export async function stripeBundle(
  bundle: Bundle,
  layout: Layout,
  scratchDir?: string,
  onSecrets?: (secrets: MessageSecrets) => void,
): Promise<Striped> {
  if (bundle.length <= IN_THREAD_MAX) {
    const bytes = bundle instanceof Uint8Array ? bundle : await readWhole(bundle);
    const secrets = newMessageSecrets(layout, bytes.length);
    onSecrets?.(secrets);
    const enc = encryptMessage(bytes, layout, { backend: nodeBackend, secrets });
    return { secrets: enc.secrets, slots: enc.slots, dispose: async () => undefined };
  }
  const dir = await scratch(scratchDir);
  const handles: Promise<FileHandle>[] = [];
  const dispose = async () => {
    await Promise.all(handles.map(async (h) => (await h.catch(() => undefined))?.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const n = layout.k + layout.p;
    const paths = Array.from({ length: n }, (_, slot) => join(dir, `slot-${slot}`));
    const sinks = paths.map((p) => createWriteStream(p, { mode: 0o600 }));
    const source = bundle instanceof Uint8Array ? Readable.from([bundle]) : bundle.open();
    const secrets = await encryptMessageStream(source, layout, sinks, { length: bundle.length });
    const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
    return { secrets, slots: paths.map((p, slot) => fileSource(p, sizes[slot]!, handles)), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** One received stripe: in memory while small, in a scratch file past SPILL_BYTES. */
export class ReceivedStripes {
  private dir: Promise<string> | undefined;
  private readonly held: (Uint8Array[] | undefined)[];
  private readonly files: ({ path: string; fh: FileHandle } | undefined)[];
  private readonly sizes: number[];

  constructor(
    private readonly n: number,
    private readonly scratchDir?: string,
  ) {
    this.held = Array.from({ length: n }, () => undefined);
    this.files = Array.from({ length: n }, () => undefined);
    this.sizes = new Array<number>(n).fill(0);
  }

  /** Forgets what a failed download of `slot` left. */
  async reset(slot: number): Promise<void> {
    const f = this.files[slot];
    this.files[slot] = undefined;
    this.held[slot] = undefined;
    this.sizes[slot] = 0;
    if (f) {
      await f.fh.close().catch(() => undefined);
      await rm(f.path, { force: true });
    }
  }

  async page(slot: number, data: Uint8Array): Promise<void> {
    this.sizes[slot]! += data.length;
    const f = this.files[slot];
    if (f) {
      await f.fh.write(data);
      return;
    }
    const held = (this.held[slot] ??= []);
    held.push(data);
    if (this.sizes[slot]! <= SPILL_BYTES) return;
    this.dir ??= scratch(this.scratchDir);
    const path = join(await this.dir, `slot-${slot}`);
    const fh = await open(path, 'w', 0o600);
    this.files[slot] = { path, fh };
    this.held[slot] = undefined;
    await fh.write(Buffer.concat(held));
  }

  /** Marks a slot as delivered (an empty object has no page). */
  delivered(slot: number): void {
    this.held[slot] ??= this.files[slot] ? undefined : [];
  }

  has(slot: number): boolean {
    return this.held[slot] !== undefined || this.files[slot] !== undefined;
  }

  get count(): number {
    return Array.from({ length: this.n }, (_, s) => this.has(s)).filter(Boolean).length;
  }

  /**
   * Rebuilds the letter into `sink` (ended on success, destroyed on failure): in the
   * calling thread when it is small and every stripe is in memory, else streamed.
   */
  async decrypt(secrets: MessageSecrets, sink: Writable): Promise<{ problems: StripeProblem[] }> {
    try {
      for (const f of this.files) await f?.fh.sync();
      const small = secrets.length <= IN_THREAD_MAX && this.files.every((f) => !f);
      if (small) {
        const slots = this.held.map((h) => (h ? new Uint8Array(Buffer.concat(h)) : undefined));
        const plain = decryptMessage(slots, secrets, nodeBackend);
        await new Promise<void>((resolve, reject) => {
          sink.once('error', reject);
          sink.end(plain.plaintext, () => resolve());
        });
        return { problems: plain.problems };
      }
      return await decryptMessageStream(
        (slot) => {
          const f = this.files[slot];
          if (f) return { path: f.path };
          const h = this.held[slot];
          return h ? Readable.from([Buffer.concat(h)]) : undefined;
        },
        secrets,
        sink,
      );
    } catch (e) {
      sink.destroy(e as Error);
      throw e;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.files.map((f) => f?.fh.close().catch(() => undefined)));
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}
