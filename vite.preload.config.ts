// The preload runs sandboxed, where only CommonJS and a handful of modules load: bundle
// everything except electron into one CJS file.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist/electron',
    emptyOutDir: false,
    target: 'chrome120',
    minify: false,
    sourcemap: true,
    lib: { entry: 'electron/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
