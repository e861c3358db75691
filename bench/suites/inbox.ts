// A profile of 100,000 stored messages (10,000 with --quick), built by the bench with the
// app's sealed store, opened as the app opens it (bench/inbox-child.ts, a process of its own
// so the RSS is the app's alone):
//  - unlock → first screen (folder list + the Inbox's first 50), against the key derivation
//    alone (Argon2id at the profile's default costs) measured in the same child;
//  - folder switch (folder list + a page of another folder), against the same page read from
//    SQLite without unsealing;
//  - search (five queries × 3, limit 50, hits with highlights), against one plain substring scan
//    of the same texts in this process;
//  - the app process's RSS after all that, against the same process before the profile opened.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../../tests/support/tmp.js';
import { fold, queryTerms } from '../../electron/services/mail/search.js';
import { QUERIES, letter } from '../inbox-child.js';
import { median, type Suite } from '../types.js';

const child = fileURLToPath(new URL('../inbox-child.ts', import.meta.url));

function run(args: string[]): string {
  return execFileSync(process.execPath, [...process.execArgv, '--expose-gc', child, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
}

/** RSS of a bare child with the same modules loaded: what the app costs before any mail. */
function baseRss(): number {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      '--expose-gc',
      '-e',
      `import(${JSON.stringify(pathToFileURL(child).href)}).then(() => { global.gc?.(); console.log(process.memoryUsage.rss() / 2 ** 20); })`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return Number(out.trim().split('\n').pop());
}

const suite: Suite = {
  name: 'inbox',
  async run(ctx) {
    const n = ctx.quick ? 10_000 : 100_000;
    const tag = n >= 1000 ? `${n / 1000}k` : String(n);
    const tmp = tempDir('qmail-bench-inbox-');
    try {
      const dir = join(tmp.path, 'profile');
      let t = performance.now();
      run(['build', dir, String(n)]);
      ctx.log(`built ${n} sealed messages in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const m = JSON.parse(run(['measure', dir]).trim().split('\n').pop()!) as {
        kdf: number;
        unlock: number;
        firstScreen: number;
        indexReady: number;
        switchMs: number;
        rawPageMs: number;
        searchMs: number;
        searches: number[];
        hits: number;
        rss: number;
      };
      const base = baseRss();
      // The search reference: each query as one substring scan over the same folded texts.
      const texts = Array.from({ length: n }, (_, i) => {
        const l = letter(i);
        return fold([l.from, l.fromName, '0006.0.999', l.subject, l.body].join('\n'));
      });
      const scans: number[] = [];
      let found = 0;
      for (let round = 0; round < 3; round++) {
        for (const q of QUERIES) {
          const terms = queryTerms(q);
          t = performance.now();
          for (const s of texts) if (terms.every((x) => s.includes(x))) found++;
          scans.push(performance.now() - t);
        }
      }
      // The app's search must have counted what the plain scan finds.
      if (found !== m.hits) throw new Error(`search counted ${m.hits} hits, the plain scan ${found}`);
      ctx.log(
        `inbox ${tag}: first screen ${m.firstScreen.toFixed(0)} ms (KDF ${m.kdf.toFixed(0)} ms), switch ${m.switchMs.toFixed(1)} ms, search p50 ${m.searchMs.toFixed(1)} ms, RSS ${m.rss.toFixed(0)} MiB`,
      );
      return [
        {
          name: `inbox ${tag}: unlock → first screen`,
          value: m.firstScreen,
          unit: 'ms',
          reference_name: 'Argon2id key derivation alone (default costs), mean of before and after',
          reference_value: m.kdf,
          ratio: m.firstScreen / m.kdf,
          notes: `folder list + first 50 of the Inbox, ${(m.firstScreen - m.unlock).toFixed(0)} ms of it after the vault opened; search index ready ${(m.indexReady / 1000).toFixed(1)} s after unlock (built in the background)`,
        },
        {
          name: `inbox ${tag}: folder switch, median`,
          value: m.switchMs,
          unit: 'ms',
          reference_name: 'same page from SQLite, not unsealed',
          reference_value: m.rawPageMs,
          ratio: m.switchMs / m.rawPageMs,
          notes: 'folder list + 50 rows, 4 folders × 5',
        },
        {
          name: `inbox ${tag}: search p50`,
          value: m.searchMs,
          unit: 'ms',
          reference_name: 'one substring scan of the same texts',
          reference_value: median(scans),
          ratio: m.searchMs / median(scans),
          notes: `${QUERIES.length} queries × 3 once the index is ready, limit 50; each ${m.searches.map((x) => x.toFixed(0)).join('/')} ms; ${m.hits / 3} hits per round`,
        },
        {
          name: `inbox ${tag}: app RSS after unlock, switches, searches`,
          value: m.rss,
          unit: 'MiB',
          reference_name: 'same process, modules loaded, no profile',
          reference_value: base,
          ratio: m.rss / base,
        },
      ];
    } finally {
      tmp.remove();
    }
  },
};

export default suite;
