// Staged uploads without servers: chunks in order into the sealed store, bounds, hand-over
// to the outbox as a reference, and nothing left behind when an upload is dropped.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { Outbox } from './outbox.js';
import { AttachmentStaging, STAGE_CHUNK_BYTES } from './staging.js';
import { MailError } from './context.js';
import { testContexts } from './testing/context.js';

const testContext = testContexts();

function setup() {
  const t = testContext();
  return { t, staging: new AttachmentStaging(() => t.ctx.tables.attachments) };
}

async function readAll(t: ReturnType<typeof setup>['t'], ref: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of t.ctx.tables.attachments.read(ref)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('staged attachment uploads', () => {
  it('writes chunks in order into the sealed store and hands the reference to the outbox, which keeps no bytes', async () => {
    const { t, staging } = setup();
    const bytes = randomBytes(2 * STAGE_CHUNK_BYTES + 123);
    const id = staging.begin('photo.jpg', bytes.length);
    // Sent without waiting for each other: still written in order.
    const acks = await Promise.all(
      [0, 1, 2].map((i) => staging.chunk(id, bytes.subarray(i * STAGE_CHUNK_BYTES, (i + 1) * STAGE_CHUNK_BYTES))),
    );
    expect(Math.max(...acks)).toBe(bytes.length);
    expect(await staging.finish(id)).toEqual({ size: bytes.length });
    const a = staging.take(id);
    expect(a).toMatchObject({ name: 'photo.jpg', size: bytes.length });
    expect((await readAll(t, a.ref)).equals(bytes)).toBe(true);
    expect(staging.take(id)).toEqual(a);
    staging.handOver(id);
    expect(() => staging.take(id)).toThrow(/no longer here/);
    await staging.discardAll();
    expect((await readAll(t, a.ref)).equals(bytes)).toBe(true);
    const outbox = new Outbox(t.ctx, {
      attempt: async () => ({ delivered: [] }),
      classify: () => ({ retryable: true }),
      saveDraft: () => 'd',
      threadRef: () => undefined,
      serverCount: () => 5,
      schedule: () => () => {},
    });
    const item = outbox.queue({ to: ['0006.0.2002'], cc: [], subject: 's', body: 'b', attachments: [a], level: 'L3' });
    expect(t.ctx.tables.outbox.get(item.id)!.job.attachments).toEqual([{ name: 'photo.jpg', ref: a.ref, size: bytes.length }]);
  });

  it('refuses more bytes than announced, oversized chunks, finishing short and unknown ids; a dropped upload leaves no file', async () => {
    const { t, staging } = setup();
    const id = staging.begin('a.bin', 10);
    await expect(staging.chunk(id, new Uint8Array(11))).rejects.toThrow(/larger than announced/);
    await expect(staging.chunk(id, new Uint8Array(STAGE_CHUNK_BYTES + 1))).rejects.toBeInstanceOf(MailError);
    await staging.chunk(id, new Uint8Array(4));
    await expect(staging.finish(id)).rejects.toThrow(/4 of 10 bytes/);
    expect(() => staging.take(id)).toThrow(/not finished/);
    await expect(staging.chunk('f'.repeat(32), new Uint8Array(1))).rejects.toThrow(/no longer here/);
    expect(() => staging.begin('huge', 2 ** 33)).toThrow(/over 4 GiB/);
    await staging.chunk(id, new Uint8Array(6));
    await staging.finish(id);
    const other = staging.begin('b.bin', 3);
    await staging.chunk(other, new Uint8Array(2));
    await staging.discardAll();
    const dir = t.ctx.tables.attachments.dir;
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});
