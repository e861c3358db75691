// Runs the loopback attackers of attacks.ts in a process of their own, so the attack
// does not slow down the event loop of the clients being measured:
//   node --import tsx server/testing/attacker.ts '{"ports":[…],"slowlorisSockets":512,"junkPerSecond":100}'
// Prints "ready" once the sockets are launched; when stdin closes, stops, prints one JSON line
// of what the attackers did (AttackTotals) and exits.
import { junkFlood, loopbackAddresses, slowloris } from './attacks.js';

export interface AttackPlan {
  ports: number[];
  slowlorisSockets: number;
  junkPerSecond: number;
}

const started = performance.now();
const plan = JSON.parse(process.argv[2] ?? '{}') as AttackPlan;
const attacks = plan.ports.flatMap((port, i) => [
  slowloris({ port, sockets: plan.slowlorisSockets, addresses: [...loopbackAddresses(16, 2 + i * 2), '127.0.0.2'], trickleMs: 1000 }),
  junkFlood({ port, perSecond: plan.junkPerSecond, addresses: loopbackAddresses(8, 40 + i) }),
]);
process.stdout.write('ready\n');
export interface AttackTotals {
  /** Slowloris connections opened, closed by the nodes, and open when the attack stopped. */
  opened: number;
  closedByNode: number;
  liveAtStop: number;
  /** Junk requests sent and answered. */
  junkSent: number;
  junkAnswered: number;
  /** How long the attack ran. */
  seconds: number;
}

const stop = async () => {
  const totals: AttackTotals = {
    opened: 0,
    closedByNode: 0,
    liveAtStop: 0,
    junkSent: 0,
    junkAnswered: 0,
    seconds: (performance.now() - started) / 1000,
  };
  for (const a of attacks) {
    const r = await a.stop();
    if ('opened' in r) {
      totals.opened += r.opened;
      totals.closedByNode += r.closedByNode;
      totals.liveAtStop += r.liveAtStop;
    } else {
      totals.junkSent += r.sent;
      totals.junkAnswered += r.answered;
    }
  }
  process.stdout.write(JSON.stringify(totals) + '\n', () => process.exit(0));
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
setTimeout(() => void stop(), 120_000).unref(); // never outlives its caller by long
