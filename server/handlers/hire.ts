// hire (Group 6, command 86, EXT-10): a mailbox pays this node for a term of service. The
// payment is a Chips locker the client filled on every coin server; the node's purse
// (ctx.lockers, server/purse.ts) takes it whole into the operator's coins, or gives it
// back to the same locker when it is short. Rules against the obvious attacks:
//   - replay: a locker code pays once here (hire_payments), and a locker pays once anywhere
//     (its coins leave it on the first remove a majority grants);
//   - underpayment: nothing is granted; the purse puts what it took back in the locker;
//   - a paid hire in clear: refused, since the locker code in the body is money.
// With `market.requireHire` (real networks), a mailbox without a running term cannot
// register a new address, upload, or poll its beacon here (PAYMENT_REQUIRED, 169).
import { Encryption, Group, QMailCommand, Status, type DecodedRequest } from '../../shared/raida/index.js';
import { peekPreamble } from '../../shared/qmail/index.js';
import { HIRE_COMMAND, HIRE_MONTH_MS, decodeHire, encodeHireResult, hirePrice } from '../../shared/qmail/hire.js';
import type { Dispatcher, Handler, HandlerResult, NodeContext } from '../dispatch.js';
import { checkMailbox } from './auth.js';

const MB = 1024 * 1024;

async function hire(req: DecodedRequest, ctx: NodeContext): Promise<HandlerResult> {
  const h = decodeHire(req.body);
  const mb = { denomination: h.preamble.denomination, serial: h.preamble.serial };
  checkMailbox(mb);
  const price = hirePrice(ctx.config.operator.pricePerMbMonth, h.quotaMb, h.months);
  // The locker code is money: in clear anyone on the path could take the coins first. A free term carries none.
  if (req.header.encryption === Encryption.NONE && price > 0n) return { status: Status.INVALID_ENCRYPTION };
  const term = { termMs: h.months * HIRE_MONTH_MS, quotaMb: h.quotaMb };
  const answer = (status: number, r: { expiresAt: number; quotaMb: number; paidUnits: bigint }): HandlerResult => ({
    status,
    payload: encodeHireResult({ ...r, priceUnits: price }),
  });
  if (!(await ctx.storage.hires.claim(h.lockerCode, mb))) {
    ctx.log.warn('hire refused: locker already paid', { mailbox: `${mb.denomination}.${mb.serial}` });
    return { status: Status.LOCKER_EMPTY_OR_NOT_EXISTS };
  }
  let paid = 0n;
  if (price > 0n) {
    // What our own server lists in the locker bounds what it can pay: a short one is refused before any coin moves.
    const seen = await ctx.lockers.value(h.lockerCode);
    if (seen === 'unavailable') {
      await ctx.storage.hires.release(h.lockerCode);
      return { status: Status.NETWORK };
    }
    const prev = await ctx.storage.hires.get(mb);
    const need = price - (prev?.creditUnits ?? 0n);
    if (seen < need) {
      await ctx.storage.hires.release(h.lockerCode);
      return answer(Status.PAYMENT_INSUFFICIENT, { expiresAt: prev?.expiresAt ?? 0, quotaMb: prev?.quotaMb ?? 0, paidUnits: 0n });
    }
    let got;
    try {
      got = await ctx.lockers.collect(h.lockerCode, need > 0n ? need : 0n, mb, 1);
    } catch (e) {
      await ctx.storage.hires.release(h.lockerCode);
      ctx.log.warn('hire: the locker could not be collected', { error: (e as Error).message });
      return { status: Status.NETWORK };
    }
    paid = got.units;
    if (paid === 0n && need > 0n) {
      // Less reached a majority than the fee (the payer took coins back meanwhile): the purse returned it all.
      await ctx.storage.hires.release(h.lockerCode);
      const cur = await ctx.storage.hires.get(mb);
      return answer(Status.PAYMENT_INSUFFICIENT, { expiresAt: cur?.expiresAt ?? 0, quotaMb: cur?.quotaMb ?? 0, paidUnits: 0n });
    }
  }
  const out = await ctx.storage.hires.settle(h.lockerCode, mb, paid, price, term);
  ctx.log.info(out.ok ? 'hired' : 'hire short', {
    mailbox: `${mb.denomination}.${mb.serial}`,
    months: h.months,
    quotaMb: h.quotaMb,
    paid: String(paid),
    expiresAt: out.hire.expiresAt,
  });
  return answer(out.ok ? Status.SUCCESS : Status.PAYMENT_INSUFFICIENT, { ...out.hire, paidUnits: paid });
}

/** Wraps a Group 6 handler: with `market.requireHire`, the preamble's mailbox must hold a running term here. */
function hired(inner: Handler, what: 'register' | 'upload' | 'poll'): Handler {
  return async (req, ctx) => {
    if (!ctx.config.market.requireHire) return inner(req, ctx);
    let p;
    try {
      p = peekPreamble(req.body);
    } catch {
      return inner(req, ctx); // the handler answers the malformed body as it always has
    }
    const mb = { denomination: p.denomination, serial: p.serial };
    // A registered address re-keying (rotation) is not a new service: only a new address needs a term.
    if (what === 'register' && (await ctx.storage.getAn(mb)) !== null) return inner(req, ctx);
    const term = await ctx.storage.hires.active(mb, ctx.now());
    if (!term) return { status: Status.PAYMENT_REQUIRED };
    if (what === 'upload' && (await ctx.storage.usage(mb)) >= term.quotaMb * MB) return { status: Status.PAYMENT_INSUFFICIENT };
    return inner(req, ctx);
  };
}

/** The hire command, and the term check in front of register, uploads and polls. Call after registerGroup6. */
export function registerHire(d: Dispatcher): void {
  d.on(Group.QMAIL, HIRE_COMMAND, hire);
  const wrap = (command: number, what: 'register' | 'upload' | 'poll') => {
    const inner = d.find(Group.QMAIL, command);
    if (inner) d.on(Group.QMAIL, command, hired(inner, what));
  };
  wrap(QMailCommand.REGISTER, 'register');
  wrap(QMailCommand.UPLOAD, 'upload');
  wrap(QMailCommand.UPLOAD_LARGE_PAGE, 'upload');
  wrap(QMailCommand.PING, 'poll');
  wrap(QMailCommand.PEEK, 'poll');
}
