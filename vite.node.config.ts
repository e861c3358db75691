// Build of everything that runs in Node or Electron's main process: the Electron shell,
// host mode, the CLI, qmail-server and qmail-kme. Dependencies stay external (they are
// installed beside the bundle); the renderer is built by vite.config.ts and the sandboxed
// preload by vite.preload.config.ts.
import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';

type Deps = Record<string, string>;
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies?: Deps;
  devDependencies?: Deps;
  optionalDependencies?: Deps;
};
const external = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.devDependencies ?? {}),
  // electron: only the shell imports it, and it may not be installed (an optional dependency).
  ...Object.keys(pkg.optionalDependencies ?? {}),
].map((name) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/.*)?$`));

const entries: Record<string, string> = {
  'electron/main': 'electron/shell/main.ts',
  'node/host': 'electron/host/main.ts',
  'node/cli': 'cli/main.ts',
  'node/server': 'server/main.ts',
  'node/kme': 'server/kme/main.ts',
  // The stream path's worker thread (electron/services/crypto/worker-url.ts finds it).
  'node/crypto-worker': 'electron/services/crypto/worker.ts',
};

export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      input: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file))),
      external,
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'node/chunks/[name]-[hash].js' },
    },
  },
});
