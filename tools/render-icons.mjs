#!/usr/bin/env node
// Renders resources/icon.svg to the PNGs the desktop packages use, in Debian's Chromium
// through playwright-core (already a dev dependency; no image library needed):
//   resources/icons/NxN.png   16 … 512, the Linux icon set (electron-builder's linux.icon)
//   resources/icon.png        1024, for macOS (electron-builder makes the .icns) and Windows
// Run it again after changing the SVG, and commit the PNGs with it.
//   node tools/render-icons.mjs [--chromium PATH]
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
export const LARGE_SIZE = 1024;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { chromium: { type: 'string', default: '/usr/bin/chromium' } } });

const svg = readFileSync(join(root, 'resources', 'icon.svg'), 'utf8');
const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
const browser = await chromium.launch({
  executablePath: values.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const render = async (size) => {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<!doctype html><style>html,body{margin:0;background:transparent}img{display:block}</style><img width="${size}" height="${size}" src="${src}">`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  };
  mkdirSync(join(root, 'resources', 'icons'), { recursive: true });
  for (const size of LINUX_SIZES) {
    const file = join('resources', 'icons', `${size}x${size}.png`);
    writeFileSync(join(root, file), await render(size));
    process.stdout.write(`${file}\n`);
  }
  writeFileSync(join(root, 'resources', 'icon.png'), await render(LARGE_SIZE));
  process.stdout.write('resources/icon.png\n');
} finally {
  await browser.close();
}
