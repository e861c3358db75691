import type { Command } from 'commander';

// Each module adds its own subcommands. Add new ones here, one line each.
export const commands: Array<(program: Command) => void> = [];
import { register as registerCbdf } from './cbdf.js'; commands.push(registerCbdf);
import { register as registerKme } from './kme.js'; commands.push(registerKme);
