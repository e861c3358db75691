import { Group, Status } from '../../shared/raida/index.js';
import type { Dispatcher } from '../dispatch.js';
import { registerChips } from './chips.js';
import { registerGateQuery } from './gate-query.js';
import { registerGroup6 } from './group6.js';
import { registerGroup16 } from './group16.js';
import { registerHire } from './hire.js';
import { registerTransfer } from './transfer.js';

/** Every command this node answers. */
export function registerHandlers(d: Dispatcher): void {
  // Group 0 command 0: echo, the RAIDA liveness check.
  d.on(Group.STATUS, 0, async () => ({ status: Status.SUCCESS }));
  registerGroup6(d);
  registerHire(d);
  registerGateQuery(d);
  registerTransfer(d);
  registerGroup16(d);
  registerChips(d);
}
