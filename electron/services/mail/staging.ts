// Staged uploads: the composer streams a file to the main process in bounded chunks, written
// as they come into the sealed attachment store; the send then names the staged file by its
// id and the outbox job keeps the store reference, never the bytes. A stage never finished,
// or finished and never sent, is dropped after IDLE_MS (and all of them on lock).
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AttachmentStore, AttachmentWriter } from '../../store/attachments.js';
import { MailError } from './context.js';
import { MAX_ATTACHMENT_BYTES } from './bundle.js';

/** Largest chunk one call may carry (the contract's bound). */
export const STAGE_CHUNK_BYTES = 1 << 20;
const IDLE_MS = 30 * 60_000;
const MAX_OPEN = 64;

interface Stage {
  name: string;
  size: number;
  received: number;
  writer: AttachmentWriter;
  /** Set once every byte arrived and the file is sealed. */
  ref?: string;
  timer: ReturnType<typeof setTimeout>;
  /** The previous chunk's write: chunks are written in order. */
  busy: Promise<void>;
}

export class AttachmentStaging {
  private readonly stages = new Map<string, Stage>();

  constructor(private readonly store: () => AttachmentStore) {}

  private get(id: string): Stage {
    const s = this.stages.get(id);
    if (!s) throw new MailError('not_found', 'That upload is no longer here; attach the file again.');
    clearTimeout(s.timer);
    s.timer = this.expiry(id);
    return s;
  }

  private expiry(id: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => void this.discard(id), IDLE_MS);
    t.unref?.();
    return t;
  }

  begin(name: string, size: number): string {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_BYTES)
      throw new MailError('invalid_input', `${name} is over 4 GiB.`);
    if (this.stages.size >= MAX_OPEN) throw new MailError('invalid_input', 'Too many files are being attached at once.');
    const id = randomBytes(16).toString('hex');
    this.stages.set(id, { name, size, received: 0, writer: this.store().create(), timer: this.expiry(id), busy: Promise.resolve() });
    return id;
  }

  /** The next chunk, in order; returns the bytes received so far. */
  async chunk(id: string, bytes: Uint8Array): Promise<number> {
    const s = this.get(id);
    if (s.ref !== undefined) throw new MailError('invalid_input', 'That upload is finished already.');
    if (bytes.length > STAGE_CHUNK_BYTES) throw new MailError('invalid_input', `A chunk is at most ${STAGE_CHUNK_BYTES} bytes.`);
    if (s.received + bytes.length > s.size) throw new MailError('invalid_input', `${s.name} is larger than announced.`);
    s.received += bytes.length;
    const write = s.busy.then(() => s.writer.write(bytes));
    s.busy = write.catch(() => undefined);
    await write;
    return s.received;
  }

  async finish(id: string): Promise<{ size: number }> {
    const s = this.get(id);
    await s.busy;
    if (s.received !== s.size) throw new MailError('invalid_input', `${s.name}: ${s.received} of ${s.size} bytes arrived.`);
    s.ref ??= await s.writer.finish();
    return { size: s.size };
  }

  /** A finished upload as a message's attachment; it stays staged until handed over. */
  take(id: string): { name: string; ref: string; size: number } {
    const s = this.get(id);
    if (s.ref === undefined) throw new MailError('invalid_input', `${s.name} has not finished uploading.`);
    return { name: s.name, ref: s.ref, size: s.size };
  }

  /** A finished upload's bytes, streamed from the sealed store; it stays staged (an email send reads it, then discards it once sent). */
  read(id: string): Readable {
    return this.store().read(this.take(id).ref);
  }

  /** The message that took it is queued: it owns the file from now on. */
  handOver(id: string): void {
    const s = this.stages.get(id);
    if (s) clearTimeout(s.timer);
    this.stages.delete(id);
  }

  async discard(id: string): Promise<void> {
    const s = this.stages.get(id);
    if (!s) return;
    clearTimeout(s.timer);
    this.stages.delete(id);
    await s.busy;
    if (s.ref) await this.store().remove(s.ref);
    else await s.writer.abort();
  }

  /** On lock: nothing half-uploaded outlives the unlocked session. */
  async discardAll(): Promise<void> {
    await Promise.all([...this.stages.keys()].map((id) => this.discard(id)));
  }
}
