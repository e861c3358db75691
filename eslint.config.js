// Process boundaries are enforced here, not remembered: each folder states what it may
// import. tools/lint-boundaries.test.ts proves every rule fires on a bad import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Exact module names, so our own folders that share a name (shared/crypto) stay importable.
const builtinNames = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
const noNode = { regex: `^(node:.*|(${builtinNames.join('|')})(/.*)?)$`, message: 'Node built-ins are not available in this process.' };
const noElectron = { regex: '^electron(/.*)?$', message: 'Only electron/shell and electron/preload.ts may import electron.' };
// Relative imports only: a package path such as react-dom/server is not our server/.
const folder = (name, message) => ({ regex: `^\\.{1,2}/(.*/)?${name}(/.*)?$`, message });

// The node people host stands alone: not even its tests reach into the app (those are tests/integration).
const serverBoundary = [
  folder('renderer', 'server/ never imports renderer/.'),
  folder('electron', 'server/ never imports electron/: the node stands alone.'),
  folder('dev-network', 'server/ never imports dev-network/: the network is built from the node, not into it.'),
];

const sharedBoundary = ['electron', 'server', 'renderer', 'dev-network'].map((f) => folder(f, `shared/ must not import ${f}/.`));
// The renderer imports only shared/ and its own files.
const rendererBoundary = [
  folder('electron', 'renderer/ talks to the main process only through shared/ipc.'),
  ...['server', 'dev-network', 'cli', 'bench', 'fuzz', 'tools', 'e2e'].map((f) =>
    folder(f, `renderer/ imports only shared/ and its own files, not ${f}/.`),
  ),
];

// The app's services run on any network; only the composition roots (shell, host) open the dev network.
const servicesBoundary = folder(
  'dev-network',
  'electron/services runs on any network: only electron/shell and electron/host open dev-network/.',
);

const domGlobals = [
  'window',
  'document',
  'navigator',
  'localStorage',
  'sessionStorage',
  'location',
  'HTMLElement',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
].map((name) => ({ name, message: 'shared/ is pure: DOM and host globals are injected, never used directly.' }));
const noMathRandom = { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues or node:crypto for randomness.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'artifacts/**', 'test-results/**', 'playwright-report/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip|todo)$/]',
          message: 'No focused, skipped or todo tests.',
        },
      ],
    },
  },
  {
    files: ['shared/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            noElectron,
            ...sharedBoundary,
            { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'shared/ has no UI.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...domGlobals,
        { name: 'process', message: 'shared/ is pure: no process.' },
        { name: 'Buffer', message: 'shared/ uses Uint8Array, not Buffer.' },
      ],
      'no-restricted-properties': ['error', noMathRandom],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        { patterns: [noNode, noElectron, ...rendererBoundary, folder('tests', 'renderer/ imports only shared/ and its own files.')] },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No Node in the renderer.' },
        { name: 'require', message: 'No Node in the renderer.' },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/shell/**', 'electron/preload.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, folder('renderer', 'electron/ never imports renderer/.')] }],
      'no-restricted-properties': ['error', noMathRandom],
    },
  },
  {
    files: ['electron/services/**/*.ts', 'electron/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noElectron, folder('renderer', 'electron/ never imports renderer/.'), servicesBoundary] },
      ],
    },
  },
  {
    files: ['electron/shell/**/*.ts', 'electron/preload.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [folder('renderer', 'electron/ never imports renderer/.')] }],
      'no-restricted-properties': ['error', noMathRandom],
    },
  },
  {
    files: ['server/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, ...serverBoundary] }],
      'no-restricted-properties': ['error', noMathRandom],
    },
  },
  {
    // The dev network starts nodes (server/) and the correspondent (an app profile: electron/services).
    files: ['dev-network/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, folder('renderer', 'dev-network/ never imports renderer/.')] }],
      'no-restricted-properties': ['error', noMathRandom],
    },
  },
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'fuzz/**/*.{ts,mjs}', 'tools/**/*.{ts,mjs,js}', 'tests/**/*.ts', 'e2e/**/*.ts', '*.ts', '*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, folder('renderer', 'Only the renderer build includes renderer/.')] }],
    },
  },
  {
    // Tests run in Node under vitest: they may read vectors from disk, wherever they live.
    files: ['**/*.test.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-properties': 'off',
      'no-restricted-globals': 'off',
      'no-restricted-imports': ['error', { patterns: [noElectron] }],
    },
  },
  {
    // The folder boundaries hold for tests too (they may still read tests/support).
    files: ['server/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, ...serverBoundary] }] },
  },
  {
    files: ['shared/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, ...sharedBoundary] }] },
  },
  {
    files: ['renderer/**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, ...rendererBoundary] }] },
  },
);
