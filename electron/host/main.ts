// npm run web: host mode from the command line.
//   --profile DIR   profile folder (default: the per-user one)
//   --port N        port on 127.0.0.1 (default: any free one)
//   --network FILE  join the network this file describes (or QMAIL_NETWORK=FILE); without
//                   it, a local network runs in <profile>/network (DESIGN.md §5); `none`: no network
//   --mint-key HEX  the joined test network's mint key (its nodes' chips.mintKey): the wallet
//                   then offers test Chips from it, as on the embedded network
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAppServices } from '../services/app/services.js';
import { embeddedChips, embeddedKmeFile, openAppNetwork, type AppNetwork } from '../../dev-network/embedded.js';
import { defaultProfileDir, packageVersion, rendererDir } from '../services/app/paths.js';
import { startHost } from './host.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string' },
    port: { type: 'string' },
    network: { type: 'string' },
    'mint-key': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    'Usage: qmail-web [--profile DIR] [--port N] [--network FILE|none] [--mint-key HEX]\nRuns QMail Desktop in your browser, served on 127.0.0.1 only.\n',
  );
  process.exit(0);
}

const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a number from 0 to 65535, not "${values.port}"\n`);
  process.exit(2);
}

const mintKey = values['mint-key'];
if (mintKey !== undefined && !/^[0-9a-f]{32}$/.test(mintKey)) {
  process.stderr.write('--mint-key is 16 bytes as 32 lowercase hex digits\n');
  process.exit(2);
}

const dir = rendererDir();
if (!existsSync(join(dir, 'index.html'))) {
  process.stderr.write('The user interface has not been built yet: run "npm run build" (npm run web does it for you).\n');
  process.exit(1);
}

const profileDir = values.profile ?? defaultProfileDir();
const status = (l: string) => process.stderr.write(`[host] ${l}\n`);
let network: AppNetwork;
try {
  network = await openAppNetwork({ profileDir, ...(values.network ? { flag: values.network } : {}), status });
} catch (e) {
  process.stderr.write(`Cannot start the network: ${(e as Error).message}\n`);
  process.exit(1);
}
const services = createAppServices({
  profileDir,
  host: 'web',
  version: packageVersion(),
  ...(network.directoryUrl ? { directoryUrl: network.directoryUrl } : {}),
  localKmeFile: embeddedKmeFile(network),
  correspondent: network.correspondent,
  chips: { ...embeddedChips(network), ...(mintKey && network.file ? { mintKey } : {}) },
});
const host = await startHost({ services, rendererDir: dir, port, log: (l) => process.stderr.write(`[host] ${l}\n`) });
process.stdout.write(`QMail Desktop is running at ${host.url}\n`);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await host.close();
  services.close();
  await network.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
