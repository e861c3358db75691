import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../tests/support/tmp.js';
import { ATTACHMENT_CHUNK_BYTES, AttachmentStore, AttachmentStoreError } from './attachments.js';
import { SealError, SecretBox } from './secret-box.js';

const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function store(key = randomBytes(32)) {
  const d = tempDir();
  dirs.push(d);
  return new AttachmentStore(join(d.path, 'attachments'), () => new SecretBox(key));
}

async function readAll(s: AttachmentStore, ref: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.read(ref)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('sealed attachment store', () => {
  it.each([0, 1, ATTACHMENT_CHUNK_BYTES, ATTACHMENT_CHUNK_BYTES + 1, 3.5 * ATTACHMENT_CHUNK_BYTES])(
    'round-trips %i bytes written in uneven pieces',
    async (size) => {
      const s = store();
      const data = randomBytes(size);
      const w = s.create();
      for (let at = 0; at < size;) {
        const n = Math.min(size - at, 1 + Math.floor(Math.random() * 400_000));
        await w.write(data.subarray(at, at + n));
        at += n;
      }
      const ref = await w.finish();
      const back = await readAll(s, ref);
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      // Nothing of the plaintext is in the file.
      if (size >= 64) expect(readFileSync(join(s.dir, ref)).includes(data.subarray(0, 64))).toBe(false);
    },
  );

  it('refuses a flipped byte, a file cut at a chunk boundary, bytes appended, chunks swapped and another key', async () => {
    const s = store();
    const ref = await s.put(randomBytes(2.5 * ATTACHMENT_CHUNK_BYTES));
    const path = join(s.dir, ref);
    const good = readFileSync(path);
    const chunk = 4 + ATTACHMENT_CHUNK_BYTES + 29;
    const cases: Buffer[] = [];
    const flipped = Buffer.from(good);
    flipped[100] = flipped[100]! ^ 1;
    cases.push(flipped, good.subarray(0, 4 + chunk), good.subarray(0, 4 + 2 * chunk), Buffer.concat([good, good.subarray(4, 4 + chunk)]));
    cases.push(
      Buffer.concat([
        good.subarray(0, 4),
        good.subarray(4 + chunk, 4 + 2 * chunk),
        good.subarray(4, 4 + chunk),
        good.subarray(4 + 2 * chunk),
      ]),
    );
    for (const bad of cases) {
      writeFileSync(path, bad);
      await expect(readAll(s, ref)).rejects.toSatisfy((e) => e instanceof SealError || e instanceof AttachmentStoreError);
    }
    writeFileSync(path, good);
    const other = new AttachmentStore(s.dir, () => new SecretBox(randomBytes(32)));
    await expect(readAll(other, ref)).rejects.toBeInstanceOf(SealError);
    writeFileSync(path, Buffer.concat([good.subarray(0, 4), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    await expect(readAll(s, ref)).rejects.toMatchObject({ code: 'malformed' });
    writeFileSync(path, Buffer.from('QAT2'));
    await expect(readAll(s, ref)).rejects.toMatchObject({ code: 'malformed' });
  });

  it('chunks sealed off the main thread are SecretBox values: each record opens in-thread', async () => {
    const key = randomBytes(32);
    const s = store(key);
    const data = randomBytes(ATTACHMENT_CHUNK_BYTES + 100_000);
    const ref = await s.put(data);
    const file = readFileSync(join(s.dir, ref));
    const box = new SecretBox(key);
    const parts: Buffer[] = [];
    for (let at = 4, index = 0; at < file.length; index++) {
      const len = file.readUInt32BE(at);
      const last = at + 4 + len === file.length;
      parts.push(box.open(file.subarray(at + 4, at + 4 + len), `qmail.attachment.v1:${ref}:${index}:${last ? 'end' : 'more'}`));
      at += 4 + len;
    }
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('reads any chunk on its own, the last one marked, and refuses a chunk past the end', async () => {
    const s = store();
    const data = randomBytes(2 * ATTACHMENT_CHUNK_BYTES + 77);
    const ref = await s.put(data);
    const parts = await Promise.all([2, 0, 1].map((i) => s.readChunk(ref, i)));
    expect(parts.map((p) => p.last)).toEqual([true, false, false]);
    expect(Buffer.concat([parts[1]!.bytes, parts[2]!.bytes, parts[0]!.bytes]).equals(data)).toBe(true);
    await expect(s.readChunk(ref, 3)).rejects.toMatchObject({ code: 'truncated' });
    await expect(s.readChunk(ref, -1)).rejects.toMatchObject({ code: 'malformed' });
  });

  it('takes only its own references, and abort and remove leave nothing behind', async () => {
    const s = store();
    expect(() => s.read('../qmail.db')).toThrow(AttachmentStoreError);
    const w = s.create();
    await w.write(randomBytes(ATTACHMENT_CHUNK_BYTES + 10));
    await w.abort();
    expect(readdirSync(s.dir)).toEqual([]);
    const ref = await s.put(Buffer.from('hello'));
    expect((await readAll(s, ref)).toString()).toBe('hello');
    await s.remove(ref);
    expect(existsSync(join(s.dir, ref))).toBe(false);
  });
});
