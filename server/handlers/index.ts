import { Group, Status } from '../../shared/raida/index.js';
import type { Dispatcher } from '../dispatch.js';

/** Every command this node answers. Group 6 and Group 16 live in their own modules. */
export function registerHandlers(d: Dispatcher): void {
  // Group 0 command 0: echo, the RAIDA liveness check.
  d.on(Group.STATUS, 0, async () => ({ status: Status.SUCCESS }));
}
