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
  MAX_PING_ACKS,
  PingFlags,
  type Preamble,
  type TellList,
  type TellRequest,
} from '../../../shared/qmail/index.js';
import { GATE_QUERY_COMMAND, decodeGateAnswer, encodeGateQuery, type GateAnswer } from '../../../shared/qmail/gate-query.js';
import { StatusError, type ConnectionPool, type Connection, type Endpoint } from './transport.js';
import { TransferCommand, encodeObjectRef } from '../../../server/handlers/transfer.js';

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

/** An object read piece by piece as it is uploaded (a stripe in a file), never held whole. */
export interface ObjectSource {
  length: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ping/peek answer and its mode. */
export interface AcknowledgedTellList extends TellList {
  /**
   * True when the beacon keeps these Tells until a later ping or peek names their cluster
   * ids (EXT-6 bit 1); false when answering consumed them (a node without that mode).
   */
  acknowledged: boolean;
}

/** Nodes (host:port) that refused the acknowledged mode, asked without it until restart. */
const refusesAcknowledged = new Set<string>();

/** Group 6 calls against one server, through a shared pool. */
export class QMailServerClient {
  constructor(
    private readonly pool: ConnectionPool,
    readonly endpoint: Endpoint,
    private readonly timeoutMs = 15_000,
  ) {}

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
  async upload(caller: Caller, guid: Uint8Array, fileType: number, source: Uint8Array | ObjectSource): Promise<void> {
    if (source.length <= UPLOAD_ONE_SHOT_MAX) {
      const data = source instanceof Uint8Array ? source : await source.read(0, source.length);
      const body = encodeUpload({
        preamble: preamble(caller),
        fileGroupGuid: guid,
        lockerCode: new Uint8Array(8),
        fileType,
        storageDuration: StorageDuration.ONE_MONTH,
        data,
      });
      await this.call(QMailCommand.UPLOAD, body, caller, 'upload');
      return;
    }
    const totalPages = Math.ceil(source.length / DOWNLOAD_PAGE_SIZE);
    for (let page = 0; page < totalPages; page++) {
      const [from, to] = [page * DOWNLOAD_PAGE_SIZE, Math.min(source.length, (page + 1) * DOWNLOAD_PAGE_SIZE)];
      const slice = source instanceof Uint8Array ? source.subarray(from, to) : await source.read(from, to - from);
      const body = encodeUploadPage({
        preamble: preamble(caller),
        fileGroupGuid: guid,
        fileType,
        storageDuration: StorageDuration.ONE_MONTH,
        page,
        totalPages,
        data: slice,
      });
      await this.call(QMailCommand.UPLOAD_LARGE_PAGE, body, caller, `upload page ${page + 1}/${totalPages}`);
    }
  }

  async tell(caller: Caller, t: Omit<TellRequest, 'preamble'>): Promise<void> {
    await this.call(QMailCommand.TELL, encodeTell({ preamble: preamble(caller), ...t }), caller, 'tell');
  }

  /** EXT-11: what this beacon's gate would do with a Tell from us to `recipient` (we must hold an AN here). */
  async gateQuery(caller: Caller, recipient: Mailbox): Promise<GateAnswer> {
    const res = await this.call(GATE_QUERY_COMMAND, encodeGateQuery({ preamble: preamble(caller), recipient }), caller, 'gate query');
    return decodeGateAnswer(res.payload);
  }

  /**
   * Asks in the acknowledged mode with the manifest (EXT-6 bits 1 and 0), naming the Tells
   * in `ack` for the beacon to delete first. A node that does not know bit 1 refuses it
   * with INVALID_PARAMETER: asked again with the manifest only, its answer consumes what it
   * carries (and the node is not asked in that mode again). A node from before EXT-6
   * refuses the capability byte with INVALID_PACKET_LENGTH and always appended the
   * manifest, so it is asked without.
   */
  private async tellList(
    command: number,
    since: number,
    caller: Caller,
    what: string,
    ack: number[],
    conn?: Connection,
    timeoutMs?: number,
  ): Promise<AcknowledgedTellList> {
    const encode = command === QMailCommand.PEEK ? encodePeek : encodePing;
    const key = `${this.endpoint.host}:${this.endpoint.port}`;
    const asks: { flags?: number; ack?: number[] }[] = [
      ...(refusesAcknowledged.has(key) ? [] : [{ flags: PingFlags.MANIFEST | PingFlags.ACKNOWLEDGED, ack: ack.slice(0, MAX_PING_ACKS) }]),
      { flags: PingFlags.MANIFEST },
      {},
    ];
    for (let i = 0; ; i++) {
      const form = asks[i]!;
      try {
        const res = await this.call(command, encode({ preamble: preamble(caller), since, ...form }), caller, what, conn, timeoutMs);
        const acknowledged = form.ack !== undefined;
        if (!acknowledged && asks[0]!.ack) refusesAcknowledged.add(key);
        return { ...(res.payload.length ? decodeTellList(res.payload) : { remaining: 0, tells: [] }), acknowledged };
      } catch (e) {
        if (!(e instanceof StatusError) || i === asks.length - 1) throw e;
        if (e.status === Status.INVALID_PACKET_LENGTH)
          i = asks.length - 2; // no capability byte at all: the bare form next
        else if (!(form.ack && e.status === Status.INVALID_PARAMETER)) throw e;
      }
    }
  }

  /**
   * Pending Tells without waiting, each with its manifest; first deletes those named in
   * `ack` (cluster ids of Tells already kept) when the node has the acknowledged mode.
   */
  async peek(caller: Caller, since = 0, ack: number[] = []): Promise<AcknowledgedTellList> {
    return this.tellList(QMailCommand.PEEK, since, caller, 'peek', ack);
  }

  /**
   * Long poll: parks on the server until a Tell lands or its wait ends. Uses its own
   * connection. In the acknowledged mode the Tells stay on the beacon until a later ping
   * or peek names them in `ack`.
   */
  async ping(caller: Caller, conn: Connection, waitMs: number, ack: number[] = []): Promise<AcknowledgedTellList> {
    return this.tellList(QMailCommand.PING, 0, caller, 'ping', ack, conn, waitMs + 15_000);
  }

  /**
   * Deletes one of our objects (EXT-OT 81, owner only). True when it is gone, false when the
   * server did not have it (any more).
   */
  async deleteObject(caller: Caller, guid: Uint8Array, fileType: number): Promise<boolean> {
    try {
      await this.call(TransferCommand.DELETE, encodeObjectRef({ preamble: preamble(caller), guid, fileType }), caller, 'delete');
      return true;
    } catch (e) {
      if (e instanceof StatusError && e.status === Status.FILE_NOT_EXIST) return false;
      throw e;
    }
  }

  /** Downloads every page of an object; undefined when the server does not have it. */
  async download(caller: Caller, guid: Uint8Array, fileType: number): Promise<Uint8Array | undefined> {
    const parts: Uint8Array[] = [];
    return (await this.downloadTo(caller, guid, fileType, async (page) => void parts.push(page))) ? concatBytes(...parts) : undefined;
  }

  /** Hands each page of an object to `onPage` as it arrives (a large one is never held whole); false when the server does not have it. */
  async downloadTo(caller: Caller, guid: Uint8Array, fileType: number, onPage: (data: Uint8Array) => Promise<void>): Promise<boolean> {
    for (let page = 0; ; page++) {
      const body = encodeDownload({
        preamble: preamble(caller),
        fileGroupGuid: guid,
        fileType,
        version: DOWNLOAD_VERSION,
        bytesPerPage: 0,
        page,
      });
      const c = this.pool.get(this.endpoint);
      // A page read may be asked twice (the transport resends one lost unread). Only a node
      // that deletes after download could then miss a last page: the stripe's HMAC catches that.
      const res = await c.call({
        group: Group.QMAIL,
        command: QMailCommand.DOWNLOAD,
        body,
        timeoutMs: this.timeoutMs,
        idempotent: true,
        ...anKey(caller),
      });
      if (res.status === Status.FILE_NOT_EXIST) {
        if (page === 0) return false;
        break;
      }
      if (!isSuccessStatus(res.status)) throw new StatusError(res.status, `download at ${this.endpoint.host}:${this.endpoint.port}`);
      const d = decodeDownloadResponse(res.payload);
      await onPage(d.data);
      if (d.data.length < DOWNLOAD_PAGE_SIZE) break;
    }
    return true;
  }
}
