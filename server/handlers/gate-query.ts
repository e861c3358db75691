// gate query (Group 6, command 87, EXT-11): what this beacon's DRD gate would do with a Tell
// from the caller to one recipient it serves. The caller is authenticated by its AN here and
// must seal the request (EXT-8); the answer concerns the caller's own list entry only, so it
// reveals nothing a Tell from the caller would not (docs/protocol.md "gate query (EXT-11)").
import { Group, Status } from '../../shared/raida/index.js';
import { ListType, FEE_UNITS_PER_CC } from '../../shared/drd/index.js';
import { QMAIL_COIN_GROUP, gateDecision } from '../../shared/qmail/index.js';
import { GATE_QUERY_COMMAND, GateOutcome, decodeGateQuery, encodeGateAnswer, type GateAnswer } from '../../shared/qmail/gate-query.js';
import type { Dispatcher, Handler } from '../dispatch.js';
import { authenticate } from './auth.js';

const gateQuery: Handler = async (req, ctx) => {
  const q = decodeGateQuery(req.body);
  if (q.preamble.coinGroup !== QMAIL_COIN_GROUP) return { status: Status.INVALID_PARAMETER };
  const sender = { denomination: q.preamble.denomination, serial: q.preamble.serial };
  await authenticate(ctx.storage, sender, q.preamble.an, req.header);
  const rcpt = { denomination: q.recipient.denomination, serial: q.recipient.serial };
  const hostedHere = q.recipient.coinGroup === QMAIL_COIN_GROUP && (await ctx.storage.getAn(rcpt)) !== null;
  const answer = (a: GateAnswer) => ({ status: Status.SUCCESS, payload: encodeGateAnswer(a) });
  if (!hostedHere) return answer({ outcome: GateOutcome.NOT_HERE, fee: 0n });
  const entry = await ctx.storage.listLookup(rcpt, sender);
  const user = await ctx.storage.getUser(rcpt);
  const defaultFee = BigInt(ctx.config.drd.defaultTellFee) * FEE_UNITS_PER_CC;
  // The Tell's own gate, asked with a locker that covers any fee: what is left is the list, the class and the fee.
  const d = gateDecision({
    hostedHere,
    listEntry: entry === null ? undefined : entry === 'black' ? ListType.BLACK : ListType.WHITE,
    record: user ? { fee: user.fee, classRejection: user.classReject } : undefined,
    senderDenomination: sender.denomination,
    defaultFee,
    locker: 2n ** 63n,
  });
  if (!d.deliver) {
    if (d.reason === 'blacklisted') return answer({ outcome: GateOutcome.BLACK, fee: 0n });
    if (d.reason === 'class_rejected') return answer({ outcome: GateOutcome.CLASS, fee: 0n });
    return { status: d.status };
  }
  if (d.reason === 'whitelisted') return answer({ outcome: GateOutcome.WHITE, fee: 0n });
  if (d.reason === 'free_inbox') return answer({ outcome: GateOutcome.FREE, fee: 0n });
  return answer({ outcome: user ? GateOutcome.FEE : GateOutcome.DEFAULT, fee: d.fee });
};

export function registerGateQuery(d: Dispatcher): void {
  d.on(Group.QMAIL, GATE_QUERY_COMMAND, gateQuery);
}
