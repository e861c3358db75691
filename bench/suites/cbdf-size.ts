// CBDF size against what ordinary mail sends: for each of the 44 email templates, the
// bytes of a multipart/alternative MIME body (quoted-printable HTML + text), the same
// gzipped, and the converted CBDF document without and with zlib. Ratios are to the MIME
// size; median and p90 over the corpus.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cloudCoinMailbox, encodeDocument, htmlToCbdf, toPlainText } from '../../shared/cbdf/index.js';
import { buildMime } from '../../shared/cbdf/mime.test-helpers.js';
import { median, percentile, type BenchResult, type Suite } from '../types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const CORPUS = join(here, '../../../shared/corpus/email-blueprints');

export interface SizeRow {
  file: string;
  mime: number;
  gzip: number;
  cbdf: number;
  cbdfZ: number;
}

export function measureCorpus(): SizeRow[] {
  const files = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.html'))
    .sort();
  const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  return files.map((file, i) => {
    const html = readFileSync(join(CORPUS, file), 'utf8');
    const meta = {
      from: cloudCoinMailbox(1, 42),
      to: [cloudCoinMailbox(1, 100)],
      timestamp: Math.floor(date.getTime() / 1000),
      qmailId: new Uint8Array(16).fill(i),
    };
    const plainDoc = htmlToCbdf(html, { meta, compress: false });
    const zDoc = htmlToCbdf(html, { meta, compress: true });
    const subject = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.trim() ?? file;
    const mime = Buffer.from(buildMime({ subject, html, text: toPlainText(plainDoc), date, boundary: `b${i}x7f3a9c` }));
    return {
      file,
      mime: mime.length,
      gzip: gzipSync(mime, { level: 9 }).length,
      cbdf: encodeDocument(plainDoc).length,
      cbdfZ: encodeDocument(zDoc).length,
    };
  });
}

const suite: Suite = {
  name: 'cbdf-size',
  async run(ctx) {
    const rows = measureCorpus();
    ctx.log(`${rows.length} templates`);
    const mimeMedian = median(rows.map((r) => r.mime));
    const out: BenchResult[] = [];
    for (const [name, pick] of [
      ['mime gzip -9', (r: SizeRow) => r.gzip],
      ['cbdf', (r: SizeRow) => r.cbdf],
      ['cbdf zlib', (r: SizeRow) => r.cbdfZ],
    ] as const) {
      const ratios = rows.map((r) => pick(r) / r.mime);
      out.push({
        name: `${name} bytes / MIME bytes (median over ${rows.length})`,
        value: median(rows.map(pick)),
        unit: 'bytes',
        reference_name: 'multipart/alternative MIME (QP html+text), median',
        reference_value: mimeMedian,
        ratio: median(ratios),
        notes: `median ratio ${(median(ratios) * 100).toFixed(2)}%, p90 ratio ${(percentile(ratios, 90) * 100).toFixed(2)}%`,
      });
    }
    return out;
  },
};
export default suite;
