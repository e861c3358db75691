// The README's commands and paths are true: npm scripts it names exist, every `npx qmail …`
// it shows is a command with those options, the files and folders it names are there, and
// its folder map lists the folders the project has.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/program.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};

/** Inline code spans and fenced blocks, as lines of shell. */
const code = [...readme.matchAll(/```[a-z]*\n([\s\S]*?)```|`([^`\n]+)`/g)].flatMap((m) => (m[1] ?? m[2]!).split('\n'));

function longOptions(cmd: Command): string[] {
  return cmd.options.map((o) => o.long ?? '').filter(Boolean);
}

describe('README.md', () => {
  it('names only npm scripts that exist', () => {
    const used = new Set<string>();
    for (const line of code) {
      for (const m of line.matchAll(/\bnpm (?:run )?([a-z][\w:-]*)/g)) if (m[1] !== 'ci' && m[1] !== 'install') used.add(m[1]!);
    }
    expect([...used]).toEqual(expect.arrayContaining(['start', 'test', 'web']));
    for (const s of used) expect(pkg.scripts[s], `npm run ${s}`).toBeDefined();
  });

  it('shows qmail commands that exist, with options they take', () => {
    const program = buildProgram();
    const seen: string[] = [];
    for (const line of code) {
      for (const m of line.matchAll(/npx (qmail(?:-server|-kme)?)\b((?:[^|`\\]|\\\|)*)/g)) {
        const [, bin, rest] = m;
        expect(pkg.bin[bin!], bin).toBeDefined();
        if (bin !== 'qmail') continue;
        const words = rest!.trim().split(/\s+/).filter(Boolean);
        // `qmail … --profile DIR`: any command.
        if (words[0] === '…') continue;
        let cmd: Command = program;
        const path: string[] = [];
        for (const w of words) {
          const sub = cmd.commands.find((c) => c.name() === w);
          if (!sub) break;
          cmd = sub;
          path.push(w);
        }
        // Alternatives (`cbdf from-html\|to-text`) are each a command.
        const next = words[path.length] ?? '';
        const alternatives = next.includes('|') ? next.split(/\\?\|/) : [];
        for (const a of alternatives)
          expect(
            cmd.commands.map((c) => c.name()),
            `${path.join(' ')} ${a}`,
          ).toContain(a);
        for (const c of alternatives.length ? alternatives.map((a) => cmd.commands.find((x) => x.name() === a)!) : [cmd]) {
          const options = new Set([...longOptions(c), ...longOptions(program), '--help', '--version']);
          for (const o of rest!.matchAll(/(?:^|[\s[])(--[a-z][\w-]*)/g))
            expect(options.has(o[1]!), `qmail ${path.join(' ')} ${c.name()} ${o[1]}`).toBe(true);
        }
        seen.push(path.join(' '));
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['network where', 'network up', 'identity create', 'send', 'inbox', 'read']));
  });

  it('names files and documents that exist', () => {
    const files = new Set<string>();
    for (const line of code) for (const m of line.matchAll(/(?:^|[\s(])((?:tools|bin|docs|resources|\.ci)\/[\w./-]*\w)/g)) files.add(m[1]!);
    // Linked documents and pictures.
    for (const m of readme.matchAll(/\]\(([^)#:]+\.(?:md|png|svg))\)/g)) files.add(m[1]!);
    expect(files.size).toBeGreaterThan(3);
    for (const f of files) expect(existsSync(join(root, f)), f).toBe(true);
  });

  it('maps the folders the project has', () => {
    const map = /## Map of the folders\n+```\n([\s\S]*?)```/.exec(readme);
    expect(map).not.toBeNull();
    const folders = [...map![1]!.matchAll(/^([\w.-]+)\/\s/gm)].map((m) => m[1]!);
    expect(folders).toEqual(expect.arrayContaining(['shared', 'electron', 'renderer', 'server', 'cli', 'resources']));
    for (const f of folders) expect(existsSync(join(root, f)) && statSync(join(root, f)).isDirectory(), f).toBe(true);
  });
});
