// The cbdf subcommands, run in-process through main(argv).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../program.js';

const dir = mkdtempSync(join(tmpdir(), 'qmail-cbdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('qmail cbdf', () => {
  const html =
    '<html><head><title>Hi</title><script>alert(1)</script></head><body><h1>Hello</h1><p>Read <a href="https://example.com/x">the <b>docs</b></a>.</p><ul><li>one</li><li>two</li></ul><img src="https://t.example/p.gif" width="1" height="1"></body></html>';

  it('from-html, to-text, inspect, from-json round trip', async () => {
    writeFileSync(join(dir, 'a.html'), html);
    const a = join(dir, 'a.cbdf');
    expect((await run('cbdf', 'from-html', join(dir, 'a.html'), '-o', a)).code).toBe(0);
    const text = await run('cbdf', 'to-text', a);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Hello');
    expect(text.out).toContain('the docs <https://example.com/x>');
    expect(text.out).toContain('- one\n- two');
    expect(text.out).not.toContain('alert');
    const inspect = await run('cbdf', 'inspect', a);
    expect(inspect.code).toBe(0);
    const json = JSON.parse(inspect.out) as { kind: string; meta: Array<{ name: string; value: unknown }> };
    expect(json.kind).toBe('phase2');
    expect(json.meta.find((m) => m.name === 'subject')?.value).toBe('Hi');
    writeFileSync(join(dir, 'a.json'), inspect.out);
    const b = join(dir, 'b.cbdf');
    expect((await run('cbdf', 'from-json', join(dir, 'a.json'), '-o', b)).code).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const strict = await run('cbdf', 'to-text', '--strict', a);
    expect(strict.out).toContain('Hello');
  });

  it('errors are one line on stderr with a non-zero exit', async () => {
    writeFileSync(join(dir, 'bad.cbdf'), new Uint8Array([2, 0, 30, 1, 1, 31, 1, 1, 0x1c, 5]));
    const r = await run('cbdf', 'inspect', join(dir, 'bad.cbdf'));
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^qmail cbdf: TRUNCATED/);
    const missing = await run('cbdf', 'to-text', join(dir, 'nope.cbdf'));
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('cannot read');
    writeFileSync(join(dir, 'bad.json'), '{"kind":"phase2","meta":[]}');
    const j = await run('cbdf', 'from-json', join(dir, 'bad.json'), '-o', join(dir, 'x.cbdf'));
    expect(j.code).not.toBe(0);
    expect(j.err).toMatch(/^qmail cbdf: (BAD_JSON|UNSUPPORTED_VERSION)/);
  });
});
