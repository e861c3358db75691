// Blob files: each stored page larger than INLINE_PAGE_MAX (sql.ts: smaller ones live in the
// database row) is one file, written atomically (temp file, fsync, rename, fsync the
// directory) before its database row commits, so an acknowledged write is on disk and a
// crash leaves at worst an unreferenced file that startup sweeps away.
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';

export class BlobError extends Error {
  override readonly name = 'BlobError';
}

const NAME = /^[0-9a-f]{32}\.blob$/;

/**
 * Test hook for the fault suite (tests/faults): with QMAIL_TEST_HOOKS naming `disk-full` when
 * the node starts, a file DISK-FULL in the blob directory makes every write fail as a full disk
 * does (ENOSPC), since mounting a tiny file system needs rights tests do not have. Off otherwise.
 */
const diskFullHook = () => (process.env.QMAIL_TEST_HOOKS ?? '').split(',').includes('disk-full');

export class BlobStore {
  private readonly dirsMade = new Set<string>();
  private readonly diskFull = diskFullHook();
  constructor(
    readonly root: string,
    private readonly durable = true,
  ) {}

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
  }

  private pathOf(id: string): string {
    if (!NAME.test(id)) throw new BlobError(`bad blob id ${JSON.stringify(id)}`);
    return join(this.root, id.slice(0, 2), id);
  }

  /**
   * Throws as a full disk does when the fault hook says so; writes of pages kept in the
   * database (sql.ts, INLINE_PAGE_MAX) ask too, so the hook stands for the node's whole disk.
   */
  async assertWritable(): Promise<void> {
    if (
      this.diskFull &&
      (await fs.stat(join(this.root, 'DISK-FULL')).then(
        () => true,
        () => false,
      ))
    ) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
  }

  /** Writes bytes under a fresh id and returns it once the data and its name are durable. */
  async write(data: Uint8Array): Promise<string> {
    await this.assertWritable();
    const id = randomBytes(16).toString('hex') + '.blob';
    const dir = join(this.root, id.slice(0, 2));
    if (!this.dirsMade.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.dirsMade.add(dir);
    }
    const final = join(dir, id);
    const tmp = `${final}.tmp`;
    const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await fh.writeFile(data);
      if (this.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, final);
    if (this.durable) {
      const dh = await fs.open(dir, fsc.O_RDONLY);
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    }
    return id;
  }

  async read(id: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await fs.readFile(this.pathOf(id)));
    } catch (e) {
      throw new BlobError(`blob ${id} unreadable: ${(e as Error).message}`);
    }
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.pathOf(id), { force: true });
  }

  /** Removes temp files and every blob not in `keep` (crash leftovers). Returns how many went. */
  async sweep(keep: (id: string) => boolean): Promise<number> {
    let removed = 0;
    let subdirs: string[];
    try {
      subdirs = await fs.readdir(this.root);
    } catch {
      return 0;
    }
    for (const sub of subdirs) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const f of await fs.readdir(join(this.root, sub))) {
        if (f.endsWith('.tmp') || (NAME.test(f) && !keep(f))) {
          await fs.rm(join(this.root, sub, f), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
