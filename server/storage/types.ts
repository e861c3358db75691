// The storage interface every backend (SQLite, PostgreSQL) implements. Async so either
// can sit behind it; all writes are serialized by the backend (one writer).
import type { ChipStore } from './chips.js';
import type { HireStore } from './hires.js';

/** A mailbox on this node: signed denomination (−8…+6) and 32-bit serial. */
export interface Mailbox {
  denomination: number;
  serial: number;
}

export interface ObjectKey {
  /** 16-byte file GUID chosen by the uploader. */
  guid: Uint8Array;
  fileType: number;
}

export interface ObjectInfo {
  owner: Mailbox;
  guid: Uint8Array;
  fileType: number;
  /** Bytes stored so far (sum of pages). */
  size: number;
  pages: number;
  complete: boolean;
  createdAt: number;
  downloadedAt: number | null;
}

export interface TellRecord {
  id: number;
  recipient: Mailbox;
  sender: Mailbox;
  blob: Uint8Array;
  createdAt: number;
}

export interface DrdUserRecord {
  mailbox: Mailbox;
  firstName: string;
  lastName: string;
  /** Inbox fee in 1e-8 CC units. */
  fee: bigint;
  symbol1: number;
  symbol2: number;
  /** Signed class-rejection byte; 0 = off. */
  classReject: number;
  createdAt: number;
  updatedAt: number;
}

export type ListKind = 'white' | 'black';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: 'quota' | 'sender_quota' | 'too_large' | 'conflict' | 'not_found' | 'bad_page' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

export interface PageWrite {
  owner: Mailbox;
  key: ObjectKey;
  /** Page number of pages[0]; pages are PAGE_SIZE bytes except an object's last. */
  firstPage: number;
  pages: Uint8Array[];
  /**
   * Absent: these pages are the whole object (complete at once). Present: the object is
   * complete once this many pages are stored (upload_large_page, in any order).
   */
  expectPages?: number;
  /** Drop every stored page outside the written range (a one-shot re-upload). */
  truncate?: boolean;
}

export interface Storage {
  readonly backend: 'sqlite' | 'postgres';
  /** The node's coins, lockers and change reservations (Chips). */
  readonly chips: ChipStore;
  /** Paid terms of service per mailbox (EXT-10). */
  readonly hires: HireStore;
  // AN registry
  getAn(mb: Mailbox): Promise<Uint8Array | null>;
  setAn(mb: Mailbox, an: Uint8Array): Promise<void>;
  // replay memory (survives restarts)
  /** Records a request id seen at `at`; false when it was recorded at or after `forgetBefore`. */
  admitRequest(id: Uint8Array, at: number, forgetBefore: number): Promise<boolean>;
  /** Drops request ids recorded before `before`. */
  forgetRequests(before: number): Promise<number>;
  // objects
  writePages(w: PageWrite, limits: { maxObjectBytes: number; quotaBytes: number }): Promise<ObjectInfo>;
  /** Bytes [offset, offset+length) of an object (clipped at its end), or null if absent. */
  readRange(key: ObjectKey, offset: number, length: number): Promise<Uint8Array | null>;
  getObject(key: ObjectKey): Promise<ObjectInfo | null>;
  readPage(key: ObjectKey, pageNo: number): Promise<Uint8Array | null>;
  /** Page numbers stored for an object, ascending (resumable transfer). */
  pageNumbers(key: ObjectKey): Promise<number[]>;
  markDownloaded(key: ObjectKey, at: number): Promise<void>;
  deleteObject(key: ObjectKey): Promise<boolean>;
  usage(owner: Mailbox): Promise<number>;
  // tells
  /** Refused with `quota` over `maxPerInbox` pending, with `sender_quota` over `maxFromSender` pending from this sender. */
  putTell(recipient: Mailbox, sender: Mailbox, blob: Uint8Array, maxPerInbox: number, maxFromSender?: number): Promise<number>;
  /** The recipient's pending Tells, newest first. */
  listTells(recipient: Mailbox, limit: number): Promise<TellRecord[]>;
  deleteTells(recipient: Mailbox, ids: number[]): Promise<number>;
  // DRD
  putUser(rec: DrdUserRecord): Promise<void>;
  getUser(mb: Mailbox): Promise<DrdUserRecord | null>;
  /** Case-insensitive prefix match on the given name(s), ordered by last, first name. */
  searchUsers(q: { firstName?: string; lastName?: string }, limit: number): Promise<DrdUserRecord[]>;
  deleteUser(mb: Mailbox): Promise<boolean>;
  listSet(owner: Mailbox, kind: ListKind, member: Mailbox): Promise<void>;
  listRemove(owner: Mailbox, member: Mailbox): Promise<boolean>;
  listGet(owner: Mailbox, kind?: ListKind): Promise<{ member: Mailbox; kind: ListKind }[]>;
  listLookup(owner: Mailbox, member: Mailbox): Promise<ListKind | null>;
  // maintenance
  /** Removes objects and Tells created before `before`, and downloaded objects if asked. */
  sweep(before: number, deleteDownloaded: boolean): Promise<{ objects: number; tells: number }>;
  close(): Promise<void>;
}

export const PAGE_SIZE = 256 * 1024;
