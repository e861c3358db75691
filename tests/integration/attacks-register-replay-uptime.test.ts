// Attacks on the network, each against real qmail-server processes and a directory on
// loopback, and what each one can no longer do (issue 12, findings 2, 3 and 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAppServices, type AppServices } from '../../electron/services/app/services.js';
import { Group, QMailCommand, Status } from '../../shared/raida/index.js';
import { encodePeek, encodeRegister, makePreamble } from '../../shared/qmail/index.js';
import { RaidaConnection, freshChallenge } from '../../server/testing/client.js';
import { directoryIdentity, provenRegisterBody } from '../../server/testing/register.js';
import { startNetwork, type LocalNetwork } from '../support/network.js';
import { TEST_KDF, tempDir } from '../support/tmp.js';

const NODES = 3;
const tmp = tempDir('qmail-attacks-');
let net: LocalNetwork;
const conns: RaidaConnection[] = [];
const apps: AppServices[] = [];

async function open(i: number): Promise<RaidaConnection> {
  const c = await RaidaConnection.open(net.nodes[i]!.port);
  conns.push(c);
  return c;
}

async function newUser(name: string): Promise<AppServices> {
  const app = createAppServices({
    profileDir: join(tmp.path, 'profiles', name),
    host: 'web',
    version: 'test',
    kdf: TEST_KDF,
    directoryUrl: net.directoryUrl,
    autoStart: false,
  });
  apps.push(app);
  await app.vault.create('correct horse battery');
  return app;
}

/** A first registration without any proof: what the outsider sent before EXT-7. */
function bareRegister(denomination: number, serial: number, an: Uint8Array): Uint8Array {
  return encodeRegister({ preamble: makePreamble({ challenge: freshChallenge(), denomination, serial, an: new Uint8Array(16) }), newAn: an, flags: 0 });
}
const outsiderAn = new Uint8Array(16).fill(0x5a);

beforeAll(async () => {
  net = await startNetwork(join(tmp.path, 'net'), NODES, { pingMaxWaitMs: 1000 });
}, 120_000);

afterAll(async () => {
  for (const c of conns) c.close();
  for (const a of apps) a.close();
  await net?.stop();
  tmp.remove();
}, 60_000);

describe('finding 2 — mailbox squatting', () => {
  it('finding 2 — mailbox squatting: an outsider cannot pre-register addresses, guess the next one, or claim another key\'s address', async () => {
    // The attack: pre-register the next ten addresses on every node, with no proof.
    for (let i = 0; i < NODES; i++) {
      const c = await open(i);
      for (let serial = 1000; serial < 1010; serial++) {
        const r = await c.call(Group.QMAIL, QMailCommand.REGISTER, bareRegister(0, serial, outsiderAn));
        expect(r.status).toBe(Status.INVALID_AN);
      }
    }

    // Serials are not handed out in order: nothing to guess.
    const a = await directoryIdentity(net.directoryUrl, 'outsider a');
    const b = await directoryIdentity(net.directoryUrl, 'outsider b');
    expect(Math.abs(a.serial - b.serial)).toBeGreaterThan(1);
    expect(a.serial).toBeGreaterThanOrEqual(1000);

    // A newcomer makes an identity exactly as the app does; it succeeds on every node.
    const victimApp = await newUser('victim');
    const victim = await victimApp.mail.createIdentity('Victim', { storage: net.nodes.map((n) => n.nodeId), beacon: net.nodes[0]!.nodeId });
    const [, dn, sn] = victim.address!.split('.');
    const victimBox = { denomination: Number(dn), serial: Number(sn) };

    // The outsider's own (valid) ticket and signature do not let it take the victim's address.
    const c0 = await open(0);
    const stolen = await c0.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(a, net.nodes[0]!.nodeId, { mailbox: victimBox, newAn: outsiderAn }));
    expect(stolen.status).toBe(Status.FILE_EXISTS);
    // Nor a fresh address of someone else's before its owner hires the node…
    const c1 = await open(1);
    const early = await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(a, net.nodes[1]!.nodeId, { mailbox: b, newAn: outsiderAn }));
    expect(early.status).toBe(Status.INVALID_AN);
    // …nor its own proof made for one node on another, nor a stale one.
    const wrongNode = await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(a, net.nodes[0]!.nodeId));
    expect(wrongNode.status).toBe(Status.INVALID_AN);
    const stale = await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(a, net.nodes[1]!.nodeId, { now: Date.now() - 3_600_000 }));
    expect(stale.status).toBe(Status.INVALID_PARAMETER);
    // The rightful owner still registers its own address with its proof.
    expect((await c1.call(Group.QMAIL, QMailCommand.REGISTER, provenRegisterBody(b, net.nodes[1]!.nodeId))).status).toBe(Status.SUCCESS);

    // The outsider's AN opens nothing of the victim's; the victim's mailbox answers the victim only.
    for (let i = 0; i < NODES; i++) {
      const c = i === 0 ? c0 : await open(i);
      const peek = await c.call(Group.QMAIL, QMailCommand.PEEK, encodePeek({ preamble: makePreamble({ challenge: freshChallenge(), ...victimBox, an: outsiderAn }), since: 0 }), {
        key: { ...victimBox, an: outsiderAn },
      });
      expect(peek.status).not.toBe(Status.SUCCESS);
    }
  });
});
