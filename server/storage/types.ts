// The storage interface every backend (SQLite, PostgreSQL) implements. Async so either
// can sit behind it; all writes are serialized by the backend (one writer).

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
  /** Display name, searchable by prefix. */
  name: string;
  /** Inbox fee (whole units of the smallest CC denomination used by the gate). */
  fee: number;
  /** Signed class-rejection byte; 0 = off. */
  classReject: number;
  /** The record as the client encoded it, returned verbatim by get/search. */
  record: Uint8Array;
  updatedAt: number;
}

export type ListKind = 'white' | 'black';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(readonly code: 'quota' | 'too_large' | 'conflict' | 'not_found' | 'bad_page' | 'internal', message: string) {
    super(message);
  }
}

export interface PageWrite {
  owner: Mailbox;
  key: ObjectKey;
  pageNo: number;
  data: Uint8Array;
  /** Marks the object complete after this page. */
  complete: boolean;
}

export interface Storage {
  readonly backend: 'sqlite' | 'postgres';
  // AN registry
  getAn(mb: Mailbox): Promise<Uint8Array | null>;
  setAn(mb: Mailbox, an: Uint8Array): Promise<void>;
  // objects
  writePage(w: PageWrite, limits: { maxObjectBytes: number; quotaBytes: number }): Promise<ObjectInfo>;
  getObject(key: ObjectKey): Promise<ObjectInfo | null>;
  readPage(key: ObjectKey, pageNo: number): Promise<Uint8Array | null>;
  markDownloaded(key: ObjectKey, at: number): Promise<void>;
  deleteObject(key: ObjectKey): Promise<boolean>;
  usage(owner: Mailbox): Promise<number>;
  // tells
  putTell(recipient: Mailbox, sender: Mailbox, blob: Uint8Array, maxPerInbox: number): Promise<number>;
  listTells(recipient: Mailbox, limit: number): Promise<TellRecord[]>;
  deleteTells(recipient: Mailbox, ids: number[]): Promise<number>;
  // DRD
  putUser(rec: DrdUserRecord): Promise<void>;
  getUser(mb: Mailbox): Promise<DrdUserRecord | null>;
  searchUsers(namePrefix: string, limit: number): Promise<DrdUserRecord[]>;
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
