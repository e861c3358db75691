// Folders and files that hold secrets (ANs in node.db, the profile's sealed mail and keys,
// KME keys) are the owner's alone: folders 0700, files 0600, whatever the umask, and
// also when they were made by an older version with looser modes. On Windows the modes
// mean little and are left to the folder's ACL, which is per-user under the profile.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

export const OWNER_DIR_MODE = 0o700;
export const OWNER_FILE_MODE = 0o600;

function chmod(path: string, mode: number): void {
  if (process.platform !== 'win32') chmodSync(path, mode);
}

/** Makes the folder (and its parents) if missing, and sets it to 0700. */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: OWNER_DIR_MODE });
  chmod(dir, OWNER_DIR_MODE);
}

/** Makes the file (empty) if missing, readable by its owner from its first byte, and sets it to 0600. */
export function ownerOnlyFile(path: string): void {
  closeSync(openSync(path, 'a', OWNER_FILE_MODE));
  chmod(path, OWNER_FILE_MODE);
}

/**
 * A SQLite database and the files beside it (-wal, -shm, -journal): 0600 for those that
 * exist. SQLite makes new ones with the database file's mode, so after ownerOnlyFile on
 * the database this only mends files left by an older version.
 */
export function ownerOnlySqlite(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) if (existsSync(f)) chmod(f, OWNER_FILE_MODE);
}

/** Before opening a SQLite database at `file`: its file 0600 (made if missing), the WAL/SHM mended. */
export function prepareOwnerOnlySqlite(file: string): void {
  ownerOnlyFile(file);
  ownerOnlySqlite(file);
}
