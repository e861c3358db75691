// RAIDA Group 16 (DRD): post/get/search/delete user, list set/remove/get. Codecs are in
// shared/drd; owner-only commands authenticate the owner's AN on this server.
import { Group, DrdCommand, Status } from '../../shared/raida/index.js';
import {
  ListType,
  MAX_LIST_ENTRIES,
  decodeDeleteUser,
  decodeGetUser,
  decodeListGet,
  decodeListRemove,
  decodeListSet,
  decodePostUser,
  decodeSearchUsers,
  effectiveSearchLimit,
  encodeListGetResult,
  encodeSearchResult,
  encodeUserRecord,
  sortListEntries,
  type UserRecord,
} from '../../shared/drd/index.js';
import type { Dispatcher, HandlerResult } from '../dispatch.js';
import type { DrdUserRecord } from '../storage/index.js';
import { authenticate, checkMailbox } from './auth.js';

const OK: HandlerResult = { status: Status.SUCCESS };

function toWire(u: DrdUserRecord): UserRecord {
  return {
    user: u.mailbox,
    fee: u.fee,
    symbol1: u.symbol1,
    symbol2: u.symbol2,
    classRejection: u.classReject,
    firstName: u.firstName,
    lastName: u.lastName,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

export function registerGroup16(d: Dispatcher): void {
  const G = Group.DRD;

  d.on(G, DrdCommand.POST_USER, async (req, ctx) => {
    const p = decodePostUser(req.body);
    await authenticate(ctx.storage, p.owner, p.an, req.header);
    const prev = await ctx.storage.getUser(p.owner);
    const t = Math.floor(ctx.now() / 1000);
    await ctx.storage.putUser({
      mailbox: p.owner,
      firstName: p.firstName,
      lastName: p.lastName,
      fee: p.fee,
      symbol1: p.symbol1,
      symbol2: p.symbol2,
      classReject: p.classRejection,
      createdAt: prev?.createdAt ?? t,
      updatedAt: t,
    });
    return OK;
  });

  d.on(G, DrdCommand.GET_USER, async (req, ctx) => {
    const g = decodeGetUser(req.body);
    checkMailbox(g.user);
    const u = await ctx.storage.getUser(g.user);
    if (!u) return { status: Status.NO_ENTRY };
    return { status: Status.SUCCESS, payload: encodeUserRecord(toWire(u)) };
  });

  d.on(G, DrdCommand.SEARCH_USERS, async (req, ctx) => {
    const s = decodeSearchUsers(req.body);
    const rows = await ctx.storage.searchUsers(
      { ...(s.firstName !== undefined ? { firstName: s.firstName } : {}), ...(s.lastName !== undefined ? { lastName: s.lastName } : {}) },
      effectiveSearchLimit(s.limit),
    );
    return { status: Status.SUCCESS, payload: encodeSearchResult(rows.map(toWire)) };
  });

  d.on(G, DrdCommand.DELETE_USER, async (req, ctx) => {
    const a = decodeDeleteUser(req.body);
    await authenticate(ctx.storage, a.owner, a.an, req.header);
    return (await ctx.storage.deleteUser(a.owner)) ? OK : { status: Status.NO_ENTRY };
  });

  d.on(G, DrdCommand.LIST_SET, async (req, ctx) => {
    const s = decodeListSet(req.body);
    await authenticate(ctx.storage, s.owner, s.an, req.header);
    for (const e of s.entries) checkMailbox(e.listed);
    const have = await ctx.storage.listGet(s.owner);
    const known = new Set(have.map((h) => `${h.member.denomination}:${h.member.serial}`));
    const added = new Set(s.entries.map((e) => `${e.listed.denomination}:${e.listed.serial}`).filter((k) => !known.has(k)));
    if (known.size + added.size > MAX_LIST_ENTRIES) return { status: Status.INVALID_PARAMETER };
    for (const e of s.entries) await ctx.storage.listSet(s.owner, e.type === ListType.BLACK ? 'black' : 'white', e.listed);
    return OK;
  });

  d.on(G, DrdCommand.LIST_REMOVE, async (req, ctx) => {
    const s = decodeListRemove(req.body);
    await authenticate(ctx.storage, s.owner, s.an, req.header);
    for (const e of s.entries) await ctx.storage.listRemove(s.owner, e);
    return OK;
  });

  d.on(G, DrdCommand.LIST_GET, async (req, ctx) => {
    const a = decodeListGet(req.body);
    await authenticate(ctx.storage, a.owner, a.an, req.header);
    const rows = await ctx.storage.listGet(a.owner);
    const entries = sortListEntries(rows.map((r) => ({ listed: r.member, type: r.kind === 'black' ? ListType.BLACK : ListType.WHITE })));
    return { status: Status.SUCCESS, payload: encodeListGetResult(entries) };
  });
}
