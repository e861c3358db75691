// Runs the loopback attackers of attacks.ts in a process of their own, so the attack
// does not slow down the event loop of the clients being measured:
//   node --import tsx server/testing/attacker.ts '{"ports":[…],"slowlorisSockets":512,"junkPerSecond":100}'
// Prints "ready" once the sockets are launched; stops (and exits) when stdin closes.
import { junkFlood, loopbackAddresses, slowloris } from './attacks.js';

export interface AttackPlan {
  ports: number[];
  slowlorisSockets: number;
  junkPerSecond: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as AttackPlan;
const attacks = plan.ports.flatMap((port, i) => [
  slowloris({ port, sockets: plan.slowlorisSockets, addresses: [...loopbackAddresses(16, 2 + i * 2), '127.0.0.2'], trickleMs: 1000 }),
  junkFlood({ port, perSecond: plan.junkPerSecond, addresses: loopbackAddresses(8, 40 + i) }),
]);
process.stdout.write('ready\n');
const stop = async () => {
  for (const a of attacks) await a.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
setTimeout(() => void stop(), 120_000).unref(); // never outlives its caller by long
