import type { Command } from 'commander';

// Each module adds its own subcommands. Add new ones here, one line each.
export const commands: Array<(program: Command) => void> = [];
import { register as registerCbdf } from './cbdf.js';
commands.push(registerCbdf);
import { register as registerKme } from './kme.js';
commands.push(registerKme);
import { register as registerIdentity } from './identity.js';
commands.push(registerIdentity);
import { register as registerSend } from './send.js';
commands.push(registerSend);
import { register as registerInbox } from './inbox.js';
commands.push(registerInbox);
import { register as registerRead } from './read.js';
commands.push(registerRead);
import { register as registerCorrespondent } from './correspondent.js';
commands.push(registerCorrespondent);
import { register as registerNetwork } from './network.js';
commands.push(registerNetwork);
import { register as registerStripes } from './stripes.js';
commands.push(registerStripes);
import { register as registerAccounts } from './accounts.js';
commands.push(registerAccounts);
import { register as registerWallet } from './wallet.js';
commands.push(registerWallet);
import { register as registerServers } from './servers.js';
commands.push(registerServers);
