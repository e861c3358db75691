import type { Command } from 'commander';

// Each module adds its own subcommands. Add new ones here, one line each.
export const commands: Array<(program: Command) => void> = [];
