// RAIDA Group 6 (QMail/1.0): upload 70, tell 71, ping 72, peek 73, download 74,
// upload_large_page 75, and our register extension 85 (docs/protocol.md EXT-2); 60–64
// are the CloudCoin client's codes for 70–74, answered with that client's rules
// (docs/protocol.md, "Legacy-client compatibility").
// Codecs come from shared/qmail; this module holds only the node's rules.
import { ByteWriter, concatBytes } from '../../shared/bytes/index.js';
import { Group, LegacyQMailCommand, QMailCommand, Status, type DecodedRequest } from '../../shared/raida/index.js';
import {
  QMAIL_COIN_GROUP,
  DOWNLOAD_PAGE_SIZE,
  decodeDownload,
  decodePeek,
  decodePing,
  decodeRegister,
  decodeTell,
  decodeUpload,
  decodeUploadPage,
  encodeDownloadResponse,
  encodeTellList,
  gateDecision,
  isAcknowledged,
  isZeroAn,
  legacyBody,
  noticeWithoutManifest,
  pageSize,
  tellStatus,
  wantsManifest,
  type GateDecision,
  type Preamble,
  type TellNotice,
} from '../../shared/qmail/index.js';
import { ListType } from '../../shared/drd/index.js';
import { FEE_UNITS_PER_CC } from '../../shared/drd/index.js';
import type { Collected, Dispatcher, Handler, HandlerResult, NodeContext } from '../dispatch.js';
import { PAGE_SIZE, StorageError, type Mailbox } from '../storage/index.js';
import { AuthError, authenticate, checkMailbox } from './auth.js';
import { checkRegisterProof } from './register.js';

const OK: HandlerResult = { status: Status.SUCCESS };
/** At most this many Tells go back in one ping/peek answer (the count is one byte). */
const MAX_TELLS_PER_ANSWER = 255;

function mailboxOf(p: Preamble): Mailbox {
  if (p.coinGroup !== QMAIL_COIN_GROUP)
    throw new AuthError('bad_coin_group', Status.INVALID_PARAMETER, `coin type ${p.coinGroup} is not QMail (6)`);
  return { denomination: p.denomination, serial: p.serial };
}
async function caller(ctx: NodeContext, p: Preamble, req: DecodedRequest): Promise<Mailbox> {
  const mb = mailboxOf(p);
  await authenticate(ctx.storage, mb, p.an, req.header);
  return mb;
}
function splitPages(data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [data];
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += PAGE_SIZE) out.push(data.subarray(at, Math.min(data.length, at + PAGE_SIZE)));
  return out;
}
const limitsOf = (ctx: NodeContext) => ({
  maxObjectBytes: ctx.config.limits.maxObjectBytes,
  quotaBytes: ctx.config.limits.mailboxQuotaBytes,
});

/** A stored Tell as kept per recipient: one encoded TellNotice (list entry without the list header). */
function encodeNotice(n: TellNotice): Uint8Array {
  return encodeTellList({ remaining: 0, tells: [n] }).subarray(8);
}
function tellListPayload(notices: Uint8Array[], remaining: number): Uint8Array {
  const head = new ByteWriter(8).u8(notices.length).u16(Math.min(remaining, 0xffff)).zeros(5).finish();
  return concatBytes(head, ...notices);
}

/**
 * A legacy alias: the same handler on the body with the client's doubled terminator
 * undone, or INVALID_COMMAND when the operator turned aliases off.
 */
function legacyAlias(command: number, h: Handler): Handler {
  return (req, ctx) =>
    ctx.config.legacy.commands
      ? h({ ...req, body: legacyBody(command, req.body) }, ctx)
      : Promise.resolve({ status: Status.INVALID_COMMAND });
}

export function registerGroup6(d: Dispatcher): void {
  const G = Group.QMAIL;

  // The client's upload (60) has the same layout; its reserved byte 72, our file_type, is 0.
  const upload: Handler = async (req, ctx) => {
    const u = decodeUpload(req.body);
    const owner = await caller(ctx, u.preamble, req);
    await ctx.storage.writePages(
      { owner, key: { guid: u.fileGroupGuid, fileType: u.fileType }, firstPage: 0, pages: splitPages(u.data), truncate: true },
      limitsOf(ctx),
    );
    return OK;
  };
  d.on(G, QMailCommand.UPLOAD, upload);
  d.on(G, LegacyQMailCommand.UPLOAD, legacyAlias(LegacyQMailCommand.UPLOAD, upload));

  d.on(G, QMailCommand.UPLOAD_LARGE_PAGE, async (req, ctx) => {
    const u = decodeUploadPage(req.body);
    const owner = await caller(ctx, u.preamble, req);
    if (u.page < u.totalPages - 1 && u.data.length !== DOWNLOAD_PAGE_SIZE) {
      return { status: Status.INVALID_PARAMETER }; // only the last page may be short
    }
    await ctx.storage.writePages(
      { owner, key: { guid: u.fileGroupGuid, fileType: u.fileType }, firstPage: u.page, pages: [u.data], expectPages: u.totalPages },
      limitsOf(ctx),
    );
    return OK;
  });

  const download: Handler = async (req, ctx) => {
    // Download is not AN-checked (QMail/1.0 §4.3 lists upload/tell/ping/peek): the
    // recipient has no AN on the sender's storage servers; the GUID is the capability.
    const q = decodeDownload(req.body);
    const key = { guid: q.fileGroupGuid, fileType: q.fileType };
    const info = await ctx.storage.getObject(key);
    if (!info || !info.complete) return { status: Status.FILE_NOT_EXIST };
    const size = pageSize(q.bytesPerPage);
    const pages = Math.max(1, Math.ceil(info.size / size));
    if (q.page >= pages) return { status: Status.FILE_NOT_EXIST };
    const data = size === PAGE_SIZE ? await ctx.storage.readPage(key, q.page) : await ctx.storage.readRange(key, q.page * size, size);
    if (!data) return { status: Status.FILE_NOT_EXIST };
    if (q.page === pages - 1) await ctx.storage.markDownloaded(key, ctx.now());
    return {
      status: Status.SUCCESS,
      payload: encodeDownloadResponse({ fileType: q.fileType, version: q.version, bytesPerPage: q.bytesPerPage, page: q.page, data }),
    };
  };
  d.on(G, QMailCommand.DOWNLOAD, download);
  d.on(G, LegacyQMailCommand.DOWNLOAD, legacyAlias(LegacyQMailCommand.DOWNLOAD, download));

  const tell =
    (legacy: boolean): Handler =>
    async (req, ctx) => {
      const t = decodeTell(req.body, { legacy });
      const sender = await caller(ctx, t.preamble, req);
      // Finding 5: a sender, and a connecting address, get a bounded number of Tells a minute.
      const rates = ctx.tellRates;
      if (
        rates &&
        ((ctx.peer !== undefined && !rates.address.take(ctx.peer, ctx.now())) ||
          !rates.sender.take(`${sender.denomination}.${sender.serial}`, ctx.now()))
      ) {
        ctx.log.debug('tell over its rate', { sender: `${sender.denomination}.${sender.serial}` });
        return { status: Status.REQUEST_RATE };
      }
      // The manifest's sum when there is one; otherwise what the Tell states (the client's total_file_size).
      const totalSize = t.manifest.length ? t.manifest.reduce((a, m) => a + m.size, 0) : (t.totalFileSize ?? 0);
      const decisions: GateDecision[] = [];
      const defaultFee = BigInt(ctx.config.drd.defaultTellFee) * FEE_UNITS_PER_CC;
      for (const r of t.recipients) {
        const rcpt = { denomination: r.address.denomination, serial: r.address.serial };
        const hostedHere = r.address.coinGroup === QMAIL_COIN_GROUP && (await ctx.storage.getAn(rcpt)) !== null;
        let decision: GateDecision;
        if (!hostedHere) decision = gateDecision({ hostedHere, senderDenomination: sender.denomination, defaultFee });
        else {
          const entry = await ctx.storage.listLookup(rcpt, sender);
          const user = await ctx.storage.getUser(rcpt);
          decision = gateDecision({
            hostedHere,
            listEntry: entry === null ? undefined : entry === 'black' ? ListType.BLACK : ListType.WHITE,
            record: user ? { fee: user.fee, classRejection: user.classReject } : undefined,
            senderDenomination: sender.denomination,
            defaultFee,
            locker: isZeroAn(r.lockerKey) ? undefined : await ctx.lockers.value(r.lockerKey).catch(() => 'unavailable' as const),
          });
        }
        // A delivered Tell with a locker pays it whole (the fee, or a tip where none is owed):
        // the operator's cut stays here, the rest goes to the recipient in a locker of its own.
        let tip: Collected | undefined;
        if (decision.deliver && !isZeroAn(r.lockerKey)) {
          const fee = decision.fee;
          try {
            const worth = fee > 0n ? fee : await ctx.lockers.value(r.lockerKey);
            if (worth !== 'unavailable' && worth > 0n) {
              tip = await ctx.lockers.collect(r.lockerKey, fee, rcpt, ctx.config.operator.inboxFeeCut);
              if (fee > 0n && tip.units < fee)
                decision = { deliver: false, status: Status.PAYMENT_INSUFFICIENT, retryable: false, reason: 'payment_insufficient' };
            }
          } catch (e) {
            ctx.log.warn('inbox fee not collected', { error: (e as Error).message });
            tip = undefined;
            if (fee > 0n) decision = { deliver: false, status: Status.PAYMENT_PROCESSING, retryable: true, reason: 'lookup_failed' };
          }
        }
        if (decision.deliver) {
          const notice = encodeNotice({
            clusterId: 0,
            sender: { coinGroup: QMAIL_COIN_GROUP, denomination: sender.denomination, serial: sender.serial },
            timestamp: t.timestamp,
            tellType: t.tellType,
            fileGroupGuid: t.fileGroupGuid,
            totalSize: Math.min(totalSize, 0xffffffff),
            servers: t.servers,
            // Collected: the recipient's own locker (none when the cut took it all). Not collected
            // (no locker service, or nothing in it): the code as the sender wrote it, as before.
            lockerKey: tip ? (tip.code ?? new Uint8Array(16)) : r.lockerKey,
            manifest: t.manifest,
          });
          try {
            await ctx.storage.putTell(rcpt, sender, notice, ctx.config.limits.maxTellsPerInbox, ctx.config.limits.maxPendingTellsPerSender);
            ctx.tells.notify(rcpt.denomination, rcpt.serial);
          } catch (e) {
            if (e instanceof StorageError && e.code === 'sender_quota') {
              // Finding 5: one sender cannot fill an inbox; its next Tell fits once the recipient handled some.
              ctx.log.debug('tell refused: sender holds its share of the inbox', { recipient: `${rcpt.denomination}.${rcpt.serial}` });
              decision = { deliver: false, status: Status.REQUEST_RATE, retryable: true, reason: 'rate_limited' };
            } else {
              ctx.log.warn('tell not stored', { recipient: `${rcpt.denomination}.${rcpt.serial}`, error: (e as Error).message });
              decision = { deliver: false, status: Status.FILESYSTEM, retryable: true, reason: 'lookup_failed' };
            }
            if (tip?.code)
              await ctx.lockers.refund?.(tip.code, r.lockerKey).catch((e: unknown) => {
                ctx.log.warn('tip not given back', { error: (e as Error).message });
              });
          }
        }
        decisions.push(decision);
      }
      return { status: tellStatus(decisions) };
    };
  d.on(G, QMailCommand.TELL, tell(false));
  d.on(G, LegacyQMailCommand.TELL, legacyAlias(LegacyQMailCommand.TELL, tell(true)));

  /** How a ping/peek answer is shaped: the manifest only on request (EXT-6); "no mail" as 17 for the legacy codes. */
  interface AnswerForm {
    manifest: boolean;
    legacy: boolean;
  }
  /**
   * EXT-6 bit 1: deletes the caller's Tells named in its ack list by their cluster id (the
   * low 32 bits of the beacon's id, as `pending` writes it). Only the caller's own inbox is
   * searched, so an id of another mailbox's Tell, or one already gone, matches nothing.
   */
  async function acknowledge(ctx: NodeContext, mb: Mailbox, ack: number[] | undefined): Promise<void> {
    if (!ack?.length) return;
    const named = new Set(ack);
    const own = await ctx.storage.listTells(mb, ctx.config.limits.maxTellsPerInbox);
    const ids = own.filter((t) => named.has(t.id >>> 0)).map((t) => t.id);
    if (ids.length) await ctx.storage.deleteTells(mb, ids);
  }
  /** `consume` is asked right before deleting, so a connection that went meanwhile gets nothing consumed. */
  async function pending(
    ctx: NodeContext,
    mb: Mailbox,
    since: number | undefined,
    consume: () => boolean,
    form: AnswerForm,
  ): Promise<HandlerResult & { count: number }> {
    const all = await ctx.storage.listTells(mb, ctx.config.limits.maxTellsPerInbox);
    const fresh = since === undefined ? all : all.filter((t) => Math.floor(t.createdAt / 1000) >= since);
    const batch = fresh.slice(0, MAX_TELLS_PER_ANSWER);
    // Shape every notice before consuming any: a malformed stored blob fails the answer, not the inbox.
    const notices = batch.map((t) => {
      const n = (form.manifest ? t.blob : noticeWithoutManifest(t.blob)).slice();
      // The cluster id is the beacon's id for the Tell (low 32 bits), written over the stored zero.
      new DataView(n.buffer, n.byteOffset).setUint32(0, t.id >>> 0);
      return n;
    });
    if (batch.length && consume())
      await ctx.storage.deleteTells(
        mb,
        batch.map((t) => t.id),
      );
    if (batch.length === 0 && form.legacy) return { status: Status.UDP_FRAME_TIMEOUT, count: 0 };
    return { status: Status.SUCCESS, payload: tellListPayload(notices, fresh.length - batch.length), count: batch.length };
  }

  const peek =
    (legacy: boolean): Handler =>
    async (req, ctx) => {
      const q = decodePeek(req.body);
      const mb = await caller(ctx, q.preamble, req);
      await acknowledge(ctx, mb, q.ack);
      return pending(ctx, mb, q.since, () => false, { manifest: wantsManifest(q), legacy });
    };
  d.on(G, QMailCommand.PEEK, peek(false));
  d.on(G, LegacyQMailCommand.PEEK, legacyAlias(LegacyQMailCommand.PEEK, peek(true)));

  const ping =
    (legacy: boolean): Handler =>
    async (req, ctx) => {
      const q = decodePing(req.body);
      const mb = await caller(ctx, q.preamble, req);
      await acknowledge(ctx, mb, q.ack);
      const form = { manifest: wantsManifest(q), legacy };
      // Acknowledged mode (EXT-6 bit 1) deletes only what a later ack names; otherwise the
      // answer consumes what it carries, unless the connection has gone by then.
      const acknowledged = isAcknowledged(q);
      const consume = () => !acknowledged && !ctx.gone?.aborted;
      const deadline = ctx.now() + ctx.config.limits.pingMaxWaitMs;
      for (;;) {
        const r = await pending(ctx, mb, q.since, consume, form);
        const left = deadline - ctx.now();
        if (r.count > 0 || left <= 0 || ctx.gone?.aborted) return r;
        const woke = await ctx.tells.wait(mb.denomination, mb.serial, left, ctx.closing, ctx.gone);
        if (!woke) return pending(ctx, mb, q.since, consume, form);
      }
    };
  d.on(G, QMailCommand.PING, ping(false));
  d.on(G, LegacyQMailCommand.PING, legacyAlias(LegacyQMailCommand.PING, ping(true)));

  d.on(G, QMailCommand.REGISTER, async (req, ctx) => {
    const g = decodeRegister(req.body);
    const mb = mailboxOf(g.preamble);
    checkMailbox(mb);
    const current = await ctx.storage.getAn(mb);
    if (current === null) {
      if (!ctx.config.registration.open) return { status: Status.COIN_NOT_FOUND };
      if (!isZeroAn(g.preamble.an)) return { status: Status.COIN_NOT_FOUND };
      // EXT-7: with a directory, only the key it bound to this address may register it.
      const auth = ctx.registration;
      if (auth?.required || (!auth && (ctx.config.directory.url || ctx.config.directory.publicKey))) {
        const verdict = auth
          ? await checkRegisterProof(auth, { proof: g.proof, mailbox: mb, newAn: g.newAn, challenge: g.preamble.challenge, now: ctx.now() })
          : 'no_directory_key';
        if (verdict !== 'ok') {
          const fields = { mailbox: `${mb.denomination}.${mb.serial}`, reason: verdict };
          // A flood of bare or over-budget attempts must not flood the log as well.
          if (verdict === 'busy' || verdict === 'missing') ctx.log.debug('registration refused', fields);
          else ctx.log.warn('registration refused', fields);
          if (verdict === 'stale') return { status: Status.INVALID_PARAMETER };
          if (verdict === 'no_directory_key') return { status: Status.NETWORK };
          if (verdict === 'busy') return { status: Status.REQUEST_RATE };
          return { status: Status.INVALID_AN };
        }
      }
    } else {
      if (isZeroAn(g.preamble.an)) return { status: Status.FILE_EXISTS }; // already registered
      await authenticate(ctx.storage, mb, g.preamble.an, req.header); // rotation: prove the current AN
    }
    await ctx.storage.setAn(mb, g.newAn);
    ctx.log.info('mailbox registered', { mailbox: `${mb.denomination}.${mb.serial}`, rotated: current !== null });
    return OK;
  });
}
