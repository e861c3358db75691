// qmail cbdf from-html | to-text | inspect | from-json
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  CbdfError,
  LeWriter,
  decodeDocument,
  encodeText,
  documentFromJson,
  documentToJson,
  encodeDocument,
  extractPlainText,
  htmlToCbdf,
  toPlainText,
} from '../../shared/cbdf/index.js';

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

function run(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    const msg = e instanceof CbdfError ? `${e.code}: ${e.message}` : (e as Error).message;
    process.stderr.write(`qmail cbdf: ${msg.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}

export function register(program: Command): void {
  const cbdf = program.command('cbdf').description('CBDF/1.0 documents: convert, inspect, extract text');

  cbdf
    .command('from-html <in>')
    .description('convert an HTML mail body to CBDF')
    .requiredOption('-o, --output <file>', 'where to write the .cbdf')
    .option('--no-compress', 'never zlib-compress Styles+Text')
    .action((input: string, opts: { output: string; compress: boolean }) =>
      run(() => {
        const doc = htmlToCbdf(read(input).toString('utf8'), { compress: opts.compress ? 'auto' : false });
        writeFileSync(opts.output, encodeDocument(doc));
      }),
    );

  cbdf
    .command('to-text <in>')
    .description('print the plain-text rendering of a CBDF document')
    .option('--strict', 'the §4.5.2 byte-level extraction (strict mode) instead of the readable rendering')
    .action((input: string, opts: { strict?: boolean }) =>
      run(() => {
        const doc = decodeDocument(read(input));
        if (opts.strict && doc.kind === 'phase2') {
          const w = new LeWriter();
          encodeText(doc.text, w);
          process.stdout.write(extractPlainText(w.finish(), 'strict') + '\n');
        } else process.stdout.write(toPlainText(doc));
      }),
    );

  cbdf
    .command('inspect <in>')
    .description('print every section and field as JSON')
    .action((input: string) =>
      run(() => {
        process.stdout.write(JSON.stringify(documentToJson(decodeDocument(read(input))), null, 2) + '\n');
      }),
    );

  cbdf
    .command('from-json <in>')
    .description('encode the JSON printed by inspect back to CBDF')
    .requiredOption('-o, --output <file>', 'where to write the .cbdf')
    .action((input: string, opts: { output: string }) =>
      run(() => {
        let json: unknown;
        try {
          json = JSON.parse(read(input).toString('utf8'));
        } catch (e) {
          throw new CbdfError('BAD_JSON', `${input} is not JSON: ${(e as Error).message}`);
        }
        writeFileSync(opts.output, encodeDocument(documentFromJson(json)));
      }),
    );
}
