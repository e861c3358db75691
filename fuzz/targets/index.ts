// Every fuzz target, by name; loaded on demand so a run imports only the parsers it fuzzes.
import type { FuzzTarget } from '../engine/target.js';

const TARGETS: Record<string, () => Promise<{ target: FuzzTarget }>> = {
  'raida-envelope': () => import('./raida-envelope.js'),
  'qmail-bodies': () => import('./qmail-bodies.js'),
  tell: () => import('./tell.js'),
  drd: () => import('./drd.js'),
  rke: () => import('./rke.js'),
  cbdf: () => import('./cbdf.js'),
  'kme-json': () => import('./kme-json.js'),
  'register-proof': () => import('./register-proof.js'),
  frames: () => import('./frames.js'),
  'legacy-mime': () => import('./legacy-mime.js'),
  'legacy-imap-fetch': () => import('./legacy-imap-fetch.js'),
  'coin-files': () => import('./coin-files.js'),
  'chips-commands': () => import('./chips-commands.js'),
};

export const TARGET_NAMES: readonly string[] = Object.keys(TARGETS);

export async function loadTarget(name: string): Promise<FuzzTarget> {
  const load = TARGETS[name];
  if (!load) throw new Error(`unknown fuzz target ${name}; known: ${TARGET_NAMES.join(', ')}`);
  return (await load()).target;
}
