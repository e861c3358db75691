// `qmail-server`: host a QMail node. Options override the config file; everything has a
// default, so `qmail-server --data ./mynode` is enough to start on a free loopback port.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfigFile, parseConfig, type ServerConfigInput } from './config.js';
import { startServer } from './node.js';
import { startDirectory } from './directory/server.js';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
  return n;
};

export function buildServerProgram(): Command {
  const program = new Command('qmail-server')
    // Options after a subcommand belong to it (`qmail-server directory --data X`).
    .enablePositionalOptions()
    .description(
      'Host a QMail node: store mail stripes (RAIDA Group 6), keep Tells for the inboxes this node is beacon for, ' +
        'enforce their DRD gate (Group 16), and publish a signed descriptor to a directory.',
    )
    .option('-c, --config <file>', 'JSON config file (see docs/server.md); options below override it')
    .option('-d, --data <dir>', 'data directory: database, blob files, operator key (default ./qmail-data)')
    .option('-H, --host <addr>', 'address to listen on (default 127.0.0.1; use 0.0.0.0 to serve the network)')
    .option('-p, --port <n>', 'TCP port (default 0 = any free port, printed on start)', int('port'))
    .option('--raida-id <n>', "this node's RAIDA index 0-255", int('raida id'))
    .option('--postgres <url>', 'use PostgreSQL at this URL instead of SQLite')
    .option('--directory <url>', 'publish the signed descriptor to this directory (http://host:port)')
    .option('--public-host <name>', 'host name clients use to reach this node, if not the listen address')
    .option('--log-level <level>', 'debug | info | warn | error | silent (default info)')
    .option('--print-config', 'print the effective configuration as JSON and exit')
    .addHelpText(
      'after',
      `
Examples:
  qmail-server --data ./node1 --port 7100
  qmail-server --config /etc/qmail/server.json
  qmail-server --data ./node1 --postgres postgres://qmail@127.0.0.1/qmail
  qmail-server directory --port 7000 --data ./directory

Logs are JSON lines on stderr. Stop with Ctrl-C or SIGTERM: in-flight requests finish first.`,
    )
    .action(async (o: Record<string, unknown>) => {
      let cfg: ServerConfigInput = {};
      if (o.config) cfg = loadConfigFile(String(o.config));
      const over: ServerConfigInput = {
        ...cfg,
        ...(o.data ? { dataDir: String(o.data) } : {}),
        listen: { ...cfg.listen, ...(o.host ? { host: String(o.host) } : {}), ...(o.port !== undefined ? { port: o.port as number } : {}) },
        ...(o.raidaId !== undefined ? { raidaId: o.raidaId as number } : {}),
        storage: { ...cfg.storage, ...(o.postgres ? { backend: 'postgres' as const, postgresUrl: String(o.postgres) } : {}) },
        directory: {
          ...cfg.directory,
          ...(o.directory ? { url: String(o.directory) } : {}),
          ...(o.publicHost ? { publicHost: String(o.publicHost) } : {}),
        },
        log: { ...cfg.log, ...(o.logLevel ? { level: o.logLevel as 'info' } : {}) },
      };
      const effective = parseConfig(over);
      if (o.printConfig) {
        process.stdout.write(JSON.stringify(effective, null, 2) + '\n');
        return;
      }
      const node = await startServer(effective);
      // One machine-readable line on stdout for launchers (dev-network/launcher.ts reads it).
      process.stdout.write(
        JSON.stringify({ ready: true, host: node.host, port: node.port, nodeId: node.descriptor.nodeId, descriptor: node.descriptor }) +
          '\n',
      );
      await untilSignal();
      await node.close();
    });

  program
    .command('directory')
    .description('run a directory service (HTTP/JSON): server descriptors, address allocation, identity lookup')
    .option('-d, --data <dir>', 'data directory for the directory database (default ./qmail-directory)')
    .option('-H, --host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <n>', 'TCP port (default 0 = any free port)', int('port'))
    .option('--probe-interval <ms>', 'probe every listed server this often, RAIDA echo (default 60000; 0 = never)', int('probe-interval'))
    .action(async (o: { data?: string; host?: string; port?: number; probeInterval?: number }) => {
      const dir = await startDirectory({
        dataDir: o.data ?? './qmail-directory',
        host: o.host ?? '127.0.0.1',
        port: o.port ?? 0,
        ...(o.probeInterval !== undefined ? { probeIntervalMs: o.probeInterval } : {}),
      });
      process.stdout.write(JSON.stringify({ ready: true, url: dir.url, publicKey: dir.publicKey }) + '\n');
      await untilSignal();
      await dir.close();
    });
  return program;
}

function untilSignal(): Promise<void> {
  return new Promise((res) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      res();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export async function main(argv: string[]): Promise<number> {
  const program = buildServerProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
    if (typeof err.exitCode === 'number' && err.code?.startsWith('commander.')) return err.exitCode;
    if (e instanceof ConfigError) process.stderr.write(`qmail-server: ${e.message}\n`);
    else process.stderr.write(`qmail-server: ${err.message ?? String(e)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exit(code);
