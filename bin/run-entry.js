import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

export async function runEntry(source, built) {
  const src = join(root, source);
  if (existsSync(src)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      await import(pathToFileURL(src).href);
      return;
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('tsx')) throw e;
    }
  }
  const out = join(root, built);
  if (!existsSync(out)) {
    process.stderr.write(`Cannot find ${built}. Run "npm run build" first.\n`);
    process.exit(1);
  }
  await import(pathToFileURL(out).href);
}
