// The app as a newcomer starts it: `npm run web` from the project folder, exactly the
// README's command, with a brand-new home folder so the default per-user profile is empty
// and nothing on this machine (QMAIL_PROFILE, QMAIL_NETWORK, XDG_CONFIG_HOME) steers it.
// No flags: the build, the default profile location, the embedded network and its KME pair
// are the ones a user gets. A restart is another `npm run web` in the same home.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, stopProcessGroup } from './fixtures.js';

const URL_LINE = /^QMail Desktop is running at (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)\s*$/m;
/** What the README promises: a URL within 60 s of the command (the build included). */
export const START_BUDGET_MS = 60_000;

export interface RunningApp {
  url: string;
  /** How long `npm run web` took to print its URL. */
  startMs: number;
  /** What the command printed so far (stdout and stderr interleaved). */
  output(): string;
  stop(): Promise<void>;
}

/** A fresh home folder: the profile the app picks by default lives inside it. */
export async function freshHome(): Promise<{ home: string; profileDir: string; remove(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'qmail-home-'));
  return {
    home,
    // Where the app's own default puts the profile on Linux (electron/services/app/paths.ts).
    profileDir: join(home, '.config', 'qmail-desktop', 'profile'),
    remove: () => rm(home, { recursive: true, force: true }),
  };
}

function userEnvironment(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1' };
  for (const k of ['QMAIL_PROFILE', 'QMAIL_NETWORK', 'XDG_CONFIG_HOME', 'npm_config_prefix']) delete env[k];
  return env;
}

/** Runs the README's `npm run web` and resolves once it printed the app's URL. */
export async function npmRunWeb(home: string): Promise<RunningApp> {
  const t0 = Date.now();
  const child: ChildProcess = spawn('npm', ['run', 'web'], {
    cwd: repoRoot,
    env: userEnvironment(home),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm, the build and the host stop together
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm run web printed no URL within ${START_BUDGET_MS / 1000} s:\n${out}`)),
      START_BUDGET_MS,
    );
    const onData = (d: string) => {
      out += d;
      const m = URL_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run web exited (${code}) before printing a URL:\n${out}`));
    });
  });
  return { url, startMs: Date.now() - t0, output: () => out, stop: () => stopProcessGroup(child) };
}
