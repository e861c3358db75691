// QMail/1.0 Group 6 as a client speaks it: register (EXT-2), upload / upload_large_page,
// tell, ping (long poll), peek and paged download. Bodies come from shared/qmail codecs;
// this module adds the challenge, the preamble, encryption with our AN and retries.
import { randomBytes } from 'node:crypto';
import type { Mailbox } from '../../../shared/cbdf/address.js';
import { concatBytes } from '../../../shared/bytes/index.js';
import { Group, QMailCommand, Status, isSuccessStatus, makeChallenge } from '../../../shared/raida/index.js';
import {
  DOWNLOAD_PAGE_SIZE,
  DOWNLOAD_VERSION,
  StorageDuration,
  decodeDownloadResponse,
  decodeTellList,
  encodeDownload,
  encodePeek,
  encodePing,
  encodeRegister,
  encodeTell,
  encodeUpload,
  encodeUploadPage,
  makePreamble,
  PingFlags,
  type Preamble,
  type TellList,
  type TellRequest,
} from '../../../shared/qmail/index.js';
import { StatusError, type ConnectionPool, type Connection, type Endpoint } from './transport.js';

export interface Caller {
  mailbox: Mailbox;
  /** Our AN on this server; absent when we are not registered there. */
  an?: Uint8Array;
}

const ZERO_AN = new Uint8Array(16);

function challenge(): Uint8Array {
  return makeChallenge(new Uint8Array(randomBytes(12)));
}

function preamble(c: Caller): Preamble {
  return makePreamble({ challenge: challenge(), denomination: c.mailbox.denomination, serial: c.mailbox.serial, an: c.an ?? ZERO_AN });
}

function anKey(c: Caller) {
  return c.an ? { an: { key: c.an, denomination: c.mailbox.denomination, serial: c.mailbox.serial } } : {};
}

export const UPLOAD_ONE_SHOT_MAX = 1024 * 1024;

/** Group 6 calls against one server, through a shared pool. */
export class QMailServerClient {
  constructor(private readonly pool: ConnectionPool, readonly endpoint: Endpoint, private readonly timeoutMs = 15_000) {}

  private async call(command: number, body: Uint8Array, caller: Caller, what: string, conn?: Connection, timeoutMs = this.timeoutMs) {
    const c = conn ?? this.pool.get(this.endpoint);
    const res = await c.call({ group: Group.QMAIL, command, body, timeoutMs, ...anKey(caller) });
    if (!isSuccessStatus(res.status)) throw new StatusError(res.status, `${what} at ${this.endpoint.host}:${this.endpoint.port}`);
    return res;
  }

  /**
   * EXT-2: sets `newAn` for our mailbox; `caller.an` is the current AN or absent for a first
   * registration, which a node of a directory accepts only with `prove` (EXT-7): it gets the
   * request's challenge and returns the encoded proof.
   */
  async register(caller: Caller, newAn: Uint8Array, prove?: (challenge: Uint8Array) => Uint8Array): Promise<void> {
    const pre = preamble(caller);
    const body = encodeRegister({ preamble: pre, newAn, flags: 0, ...(prove && !caller.an ? { proof: prove(pre.challenge) } : {}) });
    await this.call(QMailCommand.REGISTER, body, caller, 'register');
  }

  /** Stores one object; large ones go page by page (upload_large_page). */
  async upload(caller: Caller, guid: Uint8Array, fileType: number, data: Uint8Array): Promise<void> {
    if (data.length <= UPLOAD_ONE_SHOT_MAX) {
      const body = encodeUpload({ preamble: preamble(caller), fileGroupGuid: guid, lockerCode: new Uint8Array(8), fileType, storageDuration: StorageDuration.ONE_MONTH, data });
      await this.call(QMailCommand.UPLOAD, body, caller, 'upload');
      return;
    }
    const totalPages = Math.ceil(data.length / DOWNLOAD_PAGE_SIZE);
    for (let page = 0; page < totalPages; page++) {
      const slice = data.subarray(page * DOWNLOAD_PAGE_SIZE, Math.min(data.length, (page + 1) * DOWNLOAD_PAGE_SIZE));
      const body = encodeUploadPage({ preamble: preamble(caller), fileGroupGuid: guid, fileType, storageDuration: StorageDuration.ONE_MONTH, page, totalPages, data: slice });
      await this.call(QMailCommand.UPLOAD_LARGE_PAGE, body, caller, `upload page ${page + 1}/${totalPages}`);
    }
  }

  async tell(caller: Caller, t: Omit<TellRequest, 'preamble'>): Promise<void> {
    await this.call(QMailCommand.TELL, encodeTell({ preamble: preamble(caller), ...t }), caller, 'tell');
  }

  /**
   * Asks with the manifest flag (EXT-6); a node from before EXT-6 refuses the capability
   * byte with INVALID_PACKET_LENGTH and always appended the manifest, so ask it without.
   */
  private async tellList(command: number, since: number, caller: Caller, what: string, conn?: Connection, timeoutMs?: number): Promise<TellList> {
    const encode = command === QMailCommand.PEEK ? encodePeek : encodePing;
    let res;
    try {
      res = await this.call(command, encode({ preamble: preamble(caller), since, flags: PingFlags.MANIFEST }), caller, what, conn, timeoutMs);
    } catch (e) {
      if (!(e instanceof StatusError) || e.status !== Status.INVALID_PACKET_LENGTH) throw e;
      res = await this.call(command, encode({ preamble: preamble(caller), since }), caller, what, conn, timeoutMs);
    }
    return res.payload.length ? decodeTellList(res.payload) : { remaining: 0, tells: [] };
  }

  /** Pending Tells without waiting, each with its manifest. */
  async peek(caller: Caller, since = 0): Promise<TellList> {
    return this.tellList(QMailCommand.PEEK, since, caller, 'peek');
  }

  /** Long poll: parks on the server until a Tell lands or its wait ends. Uses its own connection. */
  async ping(caller: Caller, conn: Connection, waitMs: number): Promise<TellList> {
    return this.tellList(QMailCommand.PING, 0, caller, 'ping', conn, waitMs + 15_000);
  }

  /** Downloads every page of an object; undefined when the server does not have it. */
  async download(caller: Caller, guid: Uint8Array, fileType: number): Promise<Uint8Array | undefined> {
    const parts: Uint8Array[] = [];
    for (let page = 0; ; page++) {
      const body = encodeDownload({ preamble: preamble(caller), fileGroupGuid: guid, fileType, version: DOWNLOAD_VERSION, bytesPerPage: 0, page });
      const c = this.pool.get(this.endpoint);
      const res = await c.call({ group: Group.QMAIL, command: QMailCommand.DOWNLOAD, body, timeoutMs: this.timeoutMs, ...anKey(caller) });
      if (res.status === Status.FILE_NOT_EXIST) {
        if (page === 0) return undefined;
        break;
      }
      if (!isSuccessStatus(res.status)) throw new StatusError(res.status, `download at ${this.endpoint.host}:${this.endpoint.port}`);
      const d = decodeDownloadResponse(res.payload);
      parts.push(d.data);
      if (d.data.length < DOWNLOAD_PAGE_SIZE) break;
    }
    return concatBytes(...parts);
  }
}
