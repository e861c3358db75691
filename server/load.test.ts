// The load test, small enough for the unit suite (the full rows are `npm run bench -- --only load`):
// valid users' p99 against one real node stays within 2× of the quiet figure while a
// slowloris (512 sockets) and a junk-request flood run beside them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from '../bench/types.js';
import { newIdentity } from './testing/client.js';
import { provisioned, startNodeProcess, type NodeProcess } from './testing/process.js';
import { loadRound, type LoadFigures } from './testing/load.js';

let node: NodeProcess;
let dir: string;
const users = Array.from({ length: 4 }, (_, i) => newIdentity(6000 + i));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qmail-load-'));
  node = await startNodeProcess(join(dir, 'node'), { limits: { requestTimeoutMs: 3000 }, legacy: { mailboxes: provisioned(users) } });
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('load', () => {
  it('load — one node: valid users keep p99 within 2× of quiet while a slowloris and a junk flood run', async () => {
    const quiet: LoadFigures[] = [];
    const attacked: LoadFigures[] = [];
    const round = (attack: boolean) => loadRound({ ports: [node.port], users, requestsPerUser: 100, rss: node.rssMb, attack });
    await round(false); // warm-up
    for (let r = 0; r < 4; r++) {
      quiet.push(await round(false));
      attacked.push(await round(true));
    }
    for (const f of [...quiet, ...attacked]) expect(f.failures).toBe(0);
    // p99 over all rounds' samples (1 600 each way): a single scheduling hiccup of a shared machine weighs less
    const qP99 = percentile(
      quiet.flatMap((f) => f.samples),
      99,
    );
    const aP99 = percentile(
      attacked.flatMap((f) => f.samples),
      99,
    );
    expect(aP99).toBeLessThanOrEqual(2 * qP99);
  }, 90_000);
});
