// qmail network up: a whole QMail world on loopback — N qmail-server nodes, a directory,
// a pair of linked ETSI 014 KMEs and the built-in correspondent — described in
// DIR/network.json, until SIGINT/SIGTERM. Started again on the same DIR it reuses the data,
// the ports and the correspondent's identity.
import { InvalidArgumentError, type Command } from 'commander';
import { startLocalNetwork, type NetworkService } from '../../dev-network/launcher.js';
import { correspondentService, kmeService } from '../../dev-network/services.js';
import { embeddedStatus, resolveNetwork, withNetwork, withProfile } from '../defaults.js';

function nodeCount(v: string): number {
  if (!/^[0-9]{1,2}$/.test(v) || Number(v) < 1 || Number(v) > 64) throw new InvalidArgumentError('nodes is 1..64');
  return Number(v);
}

/**
 * Resolves on the first SIGINT/SIGTERM. The interval keeps the event loop alive: a pending
 * promise is not a handle, and without one Node would end the process (exit code 0) as
 * soon as the children's pipes and sockets go quiet.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((res) => {
    const alive = setInterval(() => undefined, 1 << 30);
    const on = (s: NodeJS.Signals) => {
      clearInterval(alive);
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      res(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function register(program: Command): void {
  const net = program.command('network').description("the app's embedded network (where) and local QMail networks on loopback (up)");
  net
    .command('up')
    .description('start nodes, directory, KME pair and correspondent; write DIR/network.json; run until SIGINT/SIGTERM')
    .requiredOption('--dir <dir>', 'folder for network.json, node data, logs (reused when it exists)')
    .option('--nodes <n>', 'number of qmail-server nodes', nodeCount, 5)
    .option('--no-kme', 'without the KME pair')
    .option('--no-correspondent', 'without the built-in correspondent')
    .option('--echo-logs', "copy the children's logs to stderr")
    .action(async (o: { dir: string; nodes: number; kme: boolean; correspondent: boolean; echoLogs?: boolean }) => {
      const services: NetworkService[] = [];
      if (o.kme) services.push(kmeService());
      if (o.correspondent) services.push(correspondentService({ echoLogs: !!o.echoLogs }));
      const stopped = untilSignal();
      const started = startLocalNetwork({
        dir: o.dir,
        nodes: o.nodes,
        services,
        echoLogs: !!o.echoLogs,
        nodeConfig: { log: { level: 'warn' } },
      });
      // A signal during start-up: finish starting, then stop everything.
      const first = await Promise.race([started.then(() => null), stopped]);
      const network = await started;
      const n = network.network;
      const correspondent = n.services.correspondent as { address?: string } | undefined;
      process.stdout.write(
        JSON.stringify({
          ready: true,
          file: network.file,
          directory: n.directory.url,
          nodes: n.nodes.map((x) => `${x.host}:${x.port}`),
          ...(correspondent?.address ? { correspondent: correspondent.address } : {}),
        }) + '\n',
      );
      const signal = first ?? (await stopped);
      process.stderr.write(`qmail network: ${signal}, stopping\n`);
      await network.close();
      process.stderr.write('qmail network: stopped\n');
    });
  withNetwork(
    withProfile(
      net
        .command('where')
        .description(
          "print the profile and the network file the other commands use by default, and whether the app's embedded network is running",
        ),
    ),
  )
    .option('--json', 'print JSON')
    .action(async (o: { profile: string; network?: string; json?: boolean }) => {
      const r = await resolveNetwork(o);
      const embedded = r.source === 'embedded' ? r.status : await embeddedStatus(o.profile);
      const file = r.source === 'none' ? null : r.file;
      if (o.json) {
        process.stdout.write(JSON.stringify({ profile: o.profile, network: file, source: r.source, embedded }) + '\n');
        return;
      }
      const from = { flag: '--network', env: 'QMAIL_NETWORK', embedded: "the app's embedded network", none: 'QMAIL_NETWORK=none' }[
        r.source
      ];
      const state = embedded.running
        ? `running: directory ${embedded.directory}, ${embedded.nodes ?? 0} nodes${embedded.correspondent ? `, the correspondent at ${embedded.correspondent}` : ''}`
        : embedded.created
          ? `not running (start the app, or: qmail network up --dir ${embedded.dir})`
          : 'not created yet (the app makes it on its first start)';
      process.stdout.write(`profile: ${o.profile}\nnetwork: ${file ?? 'none'} (${from})\nembedded network: ${state}\n`);
    });
}
