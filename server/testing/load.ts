// The load run behind `load …` bench rows and server/load.test.ts: valid users hammer
// one or several real nodes (peek, cmd 73: AN check + database read, on kept-alive
// connections), quiet and then with a slowloris and a junk-request flood running beside
// them (in a process of their own, attacker.ts). Rounds alternate quiet / attacked so both
// see the same machine.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { encodePeek } from '../../shared/qmail/index.js';
import { percentile } from '../../bench/types.js';
import { preambleFor, type Identity } from './client.js';
import { measureLatencies } from './attacks.js';
import type { AttackPlan, AttackTotals } from './attacker.js';

export interface LoadFigures {
  requests: number;
  failures: number;
  /** Valid requests answered per second, all users together. */
  throughput: number;
  p50: number;
  p99: number;
  /** Peak RSS of the node processes together, MiB. */
  rssMb: number;
  /** Every valid request's latency, ms. */
  samples: number[];
  /** What the attackers did meanwhile (attacked rounds). */
  attack?: AttackTotals;
}

export interface LoadOptions {
  ports: number[];
  /** One identity per user, provisioned on every node. */
  users: Identity[];
  requestsPerUser: number;
  rss: () => number;
  attack: boolean;
  /** Slowloris sockets per node (default 512) and junk requests per second per node (default 100). */
  slowlorisSockets?: number;
  junkPerSecond?: number;
}

/** Starts the attackers in their own process; resolves once their sockets are launched. */
async function startAttacker(plan: AttackPlan): Promise<() => Promise<AttackTotals | undefined>> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./attacker.ts', import.meta.url)), JSON.stringify(plan)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // On a real network the attacker does not share the node's CPU; here it does, so it yields it first.
  try {
    setPriority(proc.pid!, 10);
  } catch {
    /* not permitted: run at the same priority */
  }
  const lines = createInterface({ input: proc.stdout! });
  const next = () =>
    new Promise<string | undefined>((res) => {
      lines.once('line', res);
      proc.once('exit', () => res(undefined));
    });
  if ((await next()) === undefined) throw new Error('attacker exited before it was ready');
  let stopped: Promise<AttackTotals | undefined> | undefined;
  return () =>
    (stopped ??= (async () => {
      const totals = next();
      proc.stdin!.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const line = await totals;
      await exited;
      clearTimeout(t);
      return line ? (JSON.parse(line) as AttackTotals) : undefined;
    })());
}

export async function loadRound(o: LoadOptions): Promise<LoadFigures> {
  const stopAttack = o.attack
    ? await startAttacker({ ports: o.ports, slowlorisSockets: o.slowlorisSockets ?? 512, junkPerSecond: o.junkPerSecond ?? 100 })
    : null;
  if (stopAttack) await new Promise((r) => setTimeout(r, 1500)); // sockets in place (and the attacker's start-up over) before measuring
  let peak = o.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, o.rss())), 100);
  try {
    const runs = await Promise.all(
      o.users.map((me, u) =>
        measureLatencies({
          port: o.ports[u % o.ports.length]!,
          clients: 1,
          count: o.requestsPerUser,
          okStatus: Status.SUCCESS,
          request: (c) =>
            c
              .call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: preambleFor(me), since: 0 }), { key: me, timeoutMs: 5000 })
              .then((r) => r.status),
        }),
      ),
    );
    const ms = runs.flatMap((r) => r.ms);
    const seconds = Math.max(...runs.map((r) => r.seconds));
    const figures: LoadFigures = {
      requests: ms.length,
      failures: runs.reduce((a, r) => a + r.failures, 0),
      throughput: ms.length / seconds,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      rssMb: Math.max(peak, o.rss()),
      samples: ms,
    };
    const attack = await stopAttack?.();
    return attack ? { ...figures, attack } : figures;
  } finally {
    clearInterval(sampler);
    await stopAttack?.().catch(() => undefined);
  }
}
