// Folder-level import cycles under a tree (electron/services by default): each file's
// relative imports, read with the TypeScript compiler's pre-processor, give an edge from
// its folder to the imported file's folder (the first path segment below the root; files
// at the root count as the folder "."). A cycle among those folders is reported with one
// file import for each of its edges. Tests are left out: a test may reach anywhere.
//   npx tsx tools/folder-cycles.ts [ROOT]   exits 1 when there is a cycle
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface FolderEdge {
  from: string;
  to: string;
  /** One import that makes the edge: file → imported file, relative to the root. */
  via: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

const folderOf = (root: string, file: string): string => {
  const rel = relative(root, file).split(sep);
  return rel.length > 1 ? rel[0]! : '.';
};

/** The folder graph's edges (one example import each). */
export function folderEdges(root: string): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const file of sources(root)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), imp.fileName);
      if (relative(root, target).startsWith('..')) continue;
      const from = folderOf(root, file);
      const to = folderOf(root, target);
      if (from === to || edges.has(`${from}>${to}`)) continue;
      edges.set(`${from}>${to}`, { from, to, via: `${relative(root, file)} → ${imp.fileName}` });
    }
  }
  return [...edges.values()];
}

/** Every elementary cycle's folders, each found once (starting from its smallest folder name). */
export function folderCycles(edges: FolderEdge[]): string[][] {
  const out = new Map<string, string[]>();
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const walk = (start: string, at: string, path: string[]) => {
    for (const n of next.get(at) ?? []) {
      if (n === start) out.set(path.join('>'), [...path]);
      else if (n > start && !path.includes(n)) walk(start, n, [...path, n]);
    }
  };
  for (const start of [...next.keys()].sort()) walk(start, start, [start]);
  return [...out.values()];
}

export function describeCycle(cycle: string[], edges: FolderEdge[]): string {
  return cycle
    .map((from, i) => {
      const to = cycle[(i + 1) % cycle.length]!;
      return `${from} → ${to} (${edges.find((e) => e.from === from && e.to === to)!.via})`;
    })
    .join('; ');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = resolve(process.argv[2] ?? 'electron/services');
  const edges = folderEdges(root);
  const cycles = folderCycles(edges);
  for (const c of cycles) console.log(`cycle: ${describeCycle(c, edges)}`);
  if (!cycles.length) console.log(`no folder-level cycle under ${relative(process.cwd(), root) || '.'} (${edges.length} edges)`);
  process.exitCode = cycles.length ? 1 : 0;
}
