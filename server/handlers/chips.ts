// Coin commands (Chips) as the RAIDA C server answers them: Group 1 detect / pown, Group 2
// get ticket / validate ticket / find / fix, Group 8 locker put / peek / remove, Group 9
// available serials / break / join, and our mint (98). Codecs are in shared/chips, storage in storage/chips.ts (one transaction a
// command). Requests carrying ANs, PANs or locker keys must come sealed: in clear anyone on
// the path could take the coins (docs/protocol.md, "Chips").
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
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
  decodeFix,
  decodeGetTicket,
  decodeValidateTicket,
  decodeLockerPeek,
  decodeLockerPut,
  decodeLockerRemove,
  decodeMint,
  decodePown,
  encodeAvailableSnsResult,
  encodeBits,
  encodeCoinList,
  encodeTicketAnswer,
  encodeValidateAnswer,
  signVote,
  verifyVote,
  VALIDATE_NONCE,
  FIX_TICKET_SLOTS,
  fixAn,
  majority,
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
import { ChipClient } from '../chips/client.js';
import { PeerPool } from '../chips/peers.js';
import { networkPeers, type NetworkPeer } from '../purse.js';

/** How long a fix waits for each other server's validate ticket answer (all asked at once). */
export const VALIDATE_TIMEOUT_MS = 5000;
/** Fixes one node runs at once (each asks up to 24 servers); beyond it, REQUEST_RATE. */
export const MAX_CONCURRENT_FIXES = 4;

/** The network file's servers and their operator keys, read again when the file changes (a node back on another port). */
const networks = new Map<string, { mtime: number; peers: NetworkPeer[] }>();
function network(file: string): NetworkPeer[] {
  const mtime = statSync(file).mtimeMs;
  let e = networks.get(file);
  if (!e || e.mtime !== mtime) networks.set(file, (e = { mtime, peers: networkPeers(file) }));
  return e.peers;
}

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

  d.on(Group.HEALING, HealingCommand.GET_TICKET, async (req, ctx) => {
    sealed(req);
    const g = decodeGetTicket(req.body);
    const out = await ctx.storage.chips.issueTicket(g.target, g.coins, ctx.config.chips.ticketMs);
    if (out === 'busy') return { status: Status.NO_TICKET_SLOT };
    if (out.ticket === null) return { status: Status.ALL_FAIL };
    return { status: out.pass.every(Boolean) ? Status.ALL_PASS : Status.MIXED, payload: encodeTicketAnswer(out.pass, out.ticket) };
  });

  // Server to server and in clear, as the C server sends it: the claim names no secret (a
  // ticket is good once, for the one server its get ticket named) and the answer only DN SN.
  // The answer is signed with this node's operator key over the claimer's nonce, the ticket and
  // the coins (shared/chips/votes.ts), so no one between the servers can forge or replay a vote.
  d.on(Group.HEALING, HealingCommand.VALIDATE_TICKET, async (req, ctx) => {
    const v = decodeValidateTicket(req.body);
    // Without its key this node could not sign, and an unsigned vote counts nowhere: the ticket stays unused.
    // (A node past the 25 slots is in no network's count either.)
    const key = ctx.operatorKey;
    if (!key || ctx.config.raidaId >= FIX_TICKET_SLOTS) return { status: Status.NOT_IMPLEMENTED };
    const out = await ctx.storage.chips.claimTicket(v.ticket, v.claimer);
    if (out === 'not_found') return { status: Status.NO_TICKET_FOUND };
    if (out === 'claimed') return { status: Status.TICKET_CLAIMED_ALREADY };
    const vote = { claimer: v.claimer, validator: ctx.config.raidaId, ticket: v.ticket, nonce: v.nonce, coins: out };
    return { status: Status.SUCCESS, payload: encodeValidateAnswer(out, signVote(vote, key.secretKey, new Uint8Array(randomBytes(32)))) };
  });

  let fixing = 0;
  d.on(Group.HEALING, HealingCommand.FIX, async (req, ctx) => {
    sealed(req);
    const f = decodeFix(req.body);
    const file = ctx.config.chips.networkFile;
    // Without the network's servers (or outside them) no ticket can be validated, no vote counted.
    if (!file) return { status: Status.NOT_IMPLEMENTED };
    const peers = network(file);
    const self = ctx.config.raidaId;
    if (self >= peers.length) return { status: Status.NOT_IMPLEMENTED };
    if (fixing >= MAX_CONCURRENT_FIXES) return { status: Status.REQUEST_RATE };
    fixing++;
    let votes: number[];
    try {
      // Each other server named with a ticket is asked once, all at once, each bounded in time,
      // with a fresh nonce; only an answer signed by that server's operator key counts. A server
      // the network file gives no key for is not asked (its vote could not count; its ticket stays unused).
      // Our own slot counts for nothing: we are the server that does not know the AN.
      const client = new ChipClient(new PeerPool(), peers, VALIDATE_TIMEOUT_MS);
      const want = new Map(f.coins.map((c, k) => [`${c.denomination}.${c.serial}`, k]));
      votes = Array<number>(f.coins.length).fill(0);
      const lists = await Promise.all(
        peers.map(async (p, j) => {
          const ticket = f.tickets[j]!;
          if (j === self || ticket === 0 || !p.publicKey) return null;
          const nonce = new Uint8Array(randomBytes(VALIDATE_NONCE));
          const got = await client.validateOn(j, self, ticket, nonce);
          if (!got) return null;
          if (verifyVote({ claimer: self, validator: j, ticket, nonce, coins: got.coins }, got.signature, p.publicKey)) return got.coins;
          ctx.log.warn('validate ticket answer with a bad signature ignored', { raidaId: j });
          return null;
        }),
      );
      for (const l of lists) {
        const seen = new Set<number>();
        for (const c of l ?? []) {
          const k = want.get(`${c.denomination}.${c.serial}`);
          if (k !== undefined && !seen.has(k)) {
            seen.add(k);
            votes[k]!++;
          }
        }
      }
    } finally {
      fixing--;
    }
    // A coin is fixed only when a majority of the whole network vouched for it.
    const need = majority(peers.length);
    const chosen = f.coins.map((c, k) => ({ c, ok: votes[k]! >= need }));
    const fixed = await ctx.storage.chips.fix(chosen.filter((x) => x.ok).map((x) => ({ ...x.c, an: fixAn(self, x.c, f.pg) })));
    let at = 0;
    return passFail(chosen.map((x) => (x.ok ? fixed[at++]! : false)));
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
