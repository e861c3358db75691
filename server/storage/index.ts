import { join } from 'node:path';
import { BlobStore } from './blobs.js';
import { postgresDriver } from './postgres.js';
import { SqlStorage } from './sql.js';
import { sqliteDriver } from './sqlite.js';
import { ownerOnlyDir } from '../owner-only.js';
import type { Storage } from './types.js';

export * from './types.js';
export { BlobStore, BlobError } from './blobs.js';
export { HireStore, type Hire } from './hires.js';
export { ChipStore, MAX_CHANGE_SNS, type ChipAn, type FindOutcome, type ChangeOutcome } from './chips.js';

export interface StorageOptions {
  dataDir: string;
  backend: 'sqlite' | 'postgres';
  postgresUrl?: string;
  durable?: boolean;
  now?: () => number;
}

/** Opens the configured backend; blobs always live under dataDir/blobs. The folder is 0700. */
export async function openStorage(o: StorageOptions): Promise<Storage> {
  ownerOnlyDir(o.dataDir);
  const blobs = new BlobStore(join(o.dataDir, 'blobs'), o.durable ?? true);
  const driver =
    o.backend === 'postgres' ? await postgresDriver(o.postgresUrl ?? '') : sqliteDriver(join(o.dataDir, 'node.db'), o.durable ?? true);
  try {
    return await SqlStorage.open(driver, blobs, o.now);
  } catch (e) {
    await driver.close();
    throw e;
  }
}
