// Coin commands (Chips) as the RAIDA C server answers them: Group 1 detect / pown, Group 2
// find, Group 8 locker put / peek / remove, Group 9 available serials / break / join, and
// our mint (98). Codecs are in shared/chips, storage in storage/chips.ts (one transaction a
// command). Requests carrying ANs, PANs or locker keys must come sealed: in clear anyone on
// the path could take the coins (docs/protocol.md, "Chips").
import { constantTimeEqual } from '../../shared/bytes/index.js';
import {
  CHANGE_COUNT,
  ChangeOp,
  ChipsError,
  FindResult,
  decodeAvailableSns,
  decodeChange,
  decodeDetect,
  decodeFind,
  decodeLockerPeek,
  decodeLockerPut,
  decodeLockerRemove,
  decodeMint,
  decodePown,
  encodeAvailableSnsResult,
  encodeBits,
  encodeCoinList,
} from '../../shared/chips/index.js';
import {
  AuthCommand,
  ChangeCommand,
  Encryption,
  Group,
  HealingCommand,
  LockerCommand,
  MAX_DENOMINATION,
  MIN_DENOMINATION,
  Status,
  type DecodedRequest,
} from '../../shared/raida/index.js';
import type { Dispatcher, HandlerResult, NodeContext } from '../dispatch.js';
import { MAX_CHANGE_SNS } from '../storage/index.js';

function sealed(req: DecodedRequest): void {
  if (req.header.encryption === Encryption.NONE)
    throw new ChipsError('clear_request', Status.INVALID_ENCRYPTION, 'coin commands carry secrets and must be encrypted');
}

/** All pass, all fail, or mixed with one bit a coin — the C server's answer shape. */
function passFail(pass: readonly boolean[], bitsAlways = false): HandlerResult {
  const p = pass.filter(Boolean).length;
  const status = p === pass.length ? Status.ALL_PASS : p === 0 ? Status.ALL_FAIL : Status.MIXED;
  if (status === Status.MIXED) return { status, payload: encodeBits(pass) };
  // Locker remove answers its bits whatever the outcome, n / 8 + 1 bytes (cmd_locker.c).
  return bitsAlways ? { status, payload: encodeBits(pass, (pass.length >> 3) + 1) } : { status };
}

export function registerChips(d: Dispatcher): void {
  d.on(Group.AUTH, AuthCommand.DETECT, async (req, ctx) => {
    sealed(req);
    return passFail(await ctx.storage.chips.detect(decodeDetect(req.body).coins));
  });

  d.on(Group.AUTH, AuthCommand.POWN, async (req, ctx) => {
    sealed(req);
    return passFail(await ctx.storage.chips.pown(decodePown(req.body).coins));
  });

  d.on(Group.HEALING, HealingCommand.FIND, async (req, ctx) => {
    sealed(req);
    const found = await ctx.storage.chips.find(decodeFind(req.body).coins);
    const codes = found.map((f) => (f === 'an' ? FindResult.AN : f === 'pan' ? FindResult.PAN : FindResult.NEITHER));
    if (codes.every((c) => c === FindResult.AN)) return { status: Status.FIND_ALL_AN };
    if (codes.every((c) => c === FindResult.PAN)) return { status: Status.FIND_ALL_PAN };
    if (codes.every((c) => c === FindResult.NEITHER)) return { status: Status.FIND_NEITHER };
    return { status: Status.FIND_MIXED, payload: Uint8Array.from(codes) };
  });

  d.on(Group.LOCKER, LockerCommand.PUT, async (req, ctx) => {
    sealed(req);
    const p = decodeLockerPut(req.body);
    return { status: (await ctx.storage.chips.lockerPut(p.coins, p.sum, p.key)) ? Status.ALL_PASS : Status.ALL_FAIL };
  });

  d.on(Group.LOCKER, LockerCommand.PEEK, async (req, ctx) => {
    sealed(req);
    const coins = await ctx.storage.chips.lockerPeek(decodeLockerPeek(req.body).key);
    return coins.length ? { status: Status.ALL_PASS, payload: encodeCoinList(coins) } : { status: Status.ALL_FAIL };
  });

  d.on(Group.LOCKER, LockerCommand.REMOVE, async (req, ctx) => {
    sealed(req);
    const r = decodeLockerRemove(req.body);
    return passFail(await ctx.storage.chips.lockerRemove(r.key, r.coins), true);
  });

  d.on(Group.CHANGE, ChangeCommand.GET_AVAILABLE_SNS, async (req, ctx) => {
    // Sealed like the rest: only a holder of a coin here may reserve serials.
    sealed(req);
    const a = decodeAvailableSns(req.body);
    const target = a.op === ChangeOp.BREAK ? a.denomination - 1 : a.denomination + 1;
    if (a.denomination < MIN_DENOMINATION || a.denomination > MAX_DENOMINATION || target < MIN_DENOMINATION || target > MAX_DENOMINATION) {
      return { status: Status.INVALID_SN_OR_DENOMINATION };
    }
    // A break needs ten serials, a join one; at most the C server's 64 either way.
    const want = Math.min(MAX_CHANGE_SNS, a.op === ChangeOp.BREAK ? CHANGE_COUNT : 1);
    const serials = await ctx.storage.chips.reserve(a.session, target, want, ctx.config.chips.reserveMs);
    if (serials === 'busy') return { status: Status.REQUEST_RATE };
    return { status: Status.SUCCESS, payload: encodeAvailableSnsResult(target, serials) };
  });

  const change =
    (kind: 'break' | 'join') =>
    async (req: DecodedRequest, ctx: NodeContext): Promise<HandlerResult> => {
      sealed(req);
      const c = decodeChange(req.body);
      const out =
        kind === 'break'
          ? await ctx.storage.chips.breakCoin(c.session, c.coin, c.parts)
          : await ctx.storage.chips.joinCoins(c.session, c.coin, c.parts);
      return { status: out === 'ok' ? Status.SUCCESS : out === 'fail' ? Status.ALL_FAIL : Status.PAGE_IS_NOT_RESERVED };
    };
  d.on(Group.CHANGE, ChangeCommand.BREAK, change('break'));
  d.on(Group.CHANGE, ChangeCommand.JOIN, change('join'));

  d.on(Group.CHANGE, ChangeCommand.MINT, async (req, ctx) => {
    sealed(req);
    const m = decodeMint(req.body);
    const key = ctx.config.chips.mintKey;
    if (!key || !constantTimeEqual(new Uint8Array(Buffer.from(key, 'hex')), m.mintKey)) return { status: Status.ADMIN_AUTH };
    return passFail(await ctx.storage.chips.mint(m.coins));
  });
}
