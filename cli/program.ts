// The `qmail` command. Each concept registers its subcommands from cli/commands/<name>.ts
// so the entry stays small and every command is testable in-process.
import { Command } from 'commander';
import { commands } from './commands/index.js';
import { packageVersion } from '../server/package-root.js';

export function buildProgram(): Command {
  const program = new Command('qmail')
    .description(
      'QMail Desktop on the command line: formats, the local network, identities, sending and reading.\n' +
        "Without --profile and --network, commands use the app's own profile and its embedded network (qmail network where).",
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run qmail --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (typeof err.exitCode === 'number' && err.code?.startsWith('commander.')) return err.exitCode;
    process.stderr.write(`qmail: ${err.message ?? String(e)}\n`);
    return 1;
  }
}
