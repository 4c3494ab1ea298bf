// Lint rules, including the layer rules of ARCHITECTURE.md ("Layers and what may import what"):
// a wrong import fails `npm test`. .ci/layer-rules.test.ts proves each rule fires.
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TYPESCRIPT = ['**/*.{ts,tsx,mts,cts}'];

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'worker_threads',
];

/**
 * Builds a no-restricted-imports rule from [pattern group (or { regex }), reason] pairs, and from
 * [{ modules, importNames }, reason] pairs that ban only some names of those modules.
 */
function banImports(...bans) {
  const paths = bans
    .filter(([ban]) => ban.modules !== undefined)
    .flatMap(([{ modules, importNames }, message]) => modules.map((name) => ({ name, importNames, message })));
  const patterns = bans
    .filter(([ban]) => ban.modules === undefined)
    .map(([group, message]) => (Array.isArray(group) ? { group, message } : { ...group, message }));
  return { 'no-restricted-imports': ['error', paths.length > 0 ? { paths, patterns } : { patterns }] };
}

// electron-updater loads `electron` itself, so it is the shell's too.
const BAN_ELECTRON = [
  ['electron', 'electron/*', 'electron-updater'],
  'Only the app shell (app/main, app/preload) may import Electron.',
];
// One module owns the IPC handlers, so every request passes its sender check and schema. The
// default import is banned too (electron.ipcMain would pass); a namespace import trips the rule.
const BAN_IPC_MAIN = [
  { modules: ['electron', 'electron/main'], importNames: ['ipcMain', 'default'] },
  'Only app/main/ipc-main.ts may use ipcMain (import the names you need, not the default).',
];
const BAN_NODE = [NODE_BUILTINS, 'This layer runs without Node built-ins.'];
const BAN_REACT = [
  ['react', 'react-dom', 'react-dom/*', 'zustand', '@tanstack/*', 'uplot'],
  'React and UI libraries belong to the renderer.',
];
const BAN_FFI = [['ffi-rs'], 'Only native/src/ffi.ts and native/src/windows/network-ffi.ts may import ffi-rs.'];
const BAN_NATIVE = [
  ['**/native/**', '**/native'],
  'Only app/driver-client and app/platform (its public entry) may use the native binding.',
];
// A regex: gitignore-style groups cannot let one file of an excluded folder back in.
const BAN_NATIVE_INTERNALS = [
  { regex: '(^|/)native(/(?!src/index\\.ts$).*)?$' },
  "app/driver-client and app/platform may use only the binding's public entry, native/src/index.ts.",
];
// The driver client's tests and fakes also use the binding's test side: the other direction of
// each wire format (native/test-support/codec) and the daemon test support (namespaces, waits).
const BAN_NATIVE_INTERNALS_BUT_TEST_SUPPORT = [
  { regex: '(^|/)native(/(?!src/index\\.ts$|test-support/).*)?$' },
  "The driver client's tests may use the binding's public entry (native/src/index.ts) and native/test-support.",
];
// The binding's run-time code ships; test support (fixtures, the info encoder, the command and
// policy decoders, fakes) serves tests, benchmarks and scripts only.
const BAN_TEST_SUPPORT = [
  ['**/test-support/**', '**/test-support'],
  'Run-time code of the binding does not use test support (native/test-support); tests do.',
];
const BAN_APP = [['**/app/**'], 'The binding knows nothing of the app.'];
// End-to-end tests reach the binding only through the app; the Windows suite's test
// infrastructure (native/test-support: Wine, the device stand-in) is not the binding.
const BAN_NATIVE_BUT_TEST_SUPPORT = [
  { regex: '(^|/)native(/(?!test-support/).*)?$' },
  'End-to-end tests use the public surfaces; of native/ only its test support (native/test-support).',
];
// The runtime's namespace tests (blocklist downloads) share the root gate of the namespace tests,
// and its full-disk tests the small tmpfs of the end-to-end full-disk test.
const BAN_NATIVE_BUT_ROOT_HELPERS = [
  { regex: '(^|/)native(/(?!test-support/(root-gate|small-disk)\\.ts$).*)?$' },
  'Only app/driver-client and app/platform may use the binding; tests elsewhere in app/ only its root gate and small disk.',
];
// The store's Windows test runs its program under Wine with the Windows suite's harness.
const BAN_NATIVE_BUT_WINE = [
  { regex: '(^|/)native(/(?!test-support/wine/).*)?$' },
  'Only app/driver-client and app/platform may use the binding; Wine tests elsewhere in app/ only its Wine harness.',
];
const BAN_SHELL = [
  ['**/app/main/**', '**/app/headless/**', '**/app/preload/**', '../main/**', '../headless/**', '../preload/**'],
  'The platform serves the shells (app/main, app/headless); it does not use them.',
];
const BAN_APP_INTERNALS = [
  ['**/app/*', '!**/app/contract', '**/app/*/**', '!**/app/contract/**'],
  'Outside app/, only the contract (app/contract) may be imported.',
];
const BAN_RENDERER = [['**/renderer/**'], 'The renderer is reached only through the IPC contract.'];
const BAN_OUTSIDE_CONTRACT = [
  ['../*', '!./*', '!../contract/**'],
  'The contract imports nothing outside itself except zod.',
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'driver/**',
      '.tsbuild/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-exports': [
        'error',
        {
          restrictDefaultExports: {
            direct: true,
            named: true,
            defaultFrom: true,
            namedFrom: true,
            namespaceFrom: true,
          },
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // One import order everywhere (--fix sorts): side effects, node: built-ins, packages, then
    // relative paths, in one block as most files had it. One import per module, except that an
    // `import type` may stand beside it; re-exporting what a module imports stays allowed
    // (a layer may pass on the contract's types), so exports are not counted.
    files: TYPESCRIPT,
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': ['error', { groups: [['^\\u0000', '^node:', '^@?\\w', '^', '^\\.']] }],
      'simple-import-sort/exports': 'error',
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
    },
  },
  // Tools load these configs through their default export.
  {
    files: [
      'eslint.config.js',
      '**/vite.config.ts',
      '.ci/vitest.config.ts',
      '.ci/vitest.wine.config.ts',
      'e2e/playwright.config.ts',
      'e2e/build-daemon.ts',
    ],
    rules: { 'no-restricted-exports': 'off' },
  },
  {
    files: ['app/contract/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_NODE, BAN_REACT, BAN_FFI, BAN_OUTSIDE_CONTRACT),
  },
  {
    files: ['app/engine/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_NODE, BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    // Importers turn other firewalls' rule text into previews, and blocklists turn a list's text
    // into a set to match: no files, no I/O of their own (the host fetches and stores).
    files: ['app/importers/**/*.ts', 'app/blocklists/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_NODE, BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    // Everything in app/ that is not the shell nor a layer below (runtime, store, headless,
    // launcher, and any new folder) runs under plain Node: no Electron.
    files: ['app/**/*.{ts,mts,cts}'],
    ignores: [
      'app/contract/**',
      'app/engine/**',
      'app/importers/**',
      'app/blocklists/**',
      'app/driver-client/**',
      'app/platform/**',
      'app/main/**',
      'app/preload/**',
    ],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    files: ['app/runtime/**/*.test.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_BUT_ROOT_HELPERS, BAN_RENDERER),
  },
  {
    files: ['app/store/**/*.wine.test.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_BUT_WINE, BAN_RENDERER),
  },
  {
    // The shell: Electron, but ipcMain only in ipc-main.ts (the next block exempts it).
    files: ['app/main/**/*.{ts,mts,cts}'],
    rules: banImports(BAN_IPC_MAIN, BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    // The preload runs in the renderer's process, where Electron has no ipcMain; its
    // `import type * as Electron` would trip an importNames ban, so it gets none.
    files: ['app/main/ipc-main.ts', 'app/preload/**/*.{ts,mts,cts}'],
    rules: banImports(BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    // Host and platform (ARCHITECTURE.md): engine, store, the binding's public entry, Node built-ins.
    files: ['app/platform/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_INTERNALS, BAN_SHELL, BAN_RENDERER),
  },
  {
    files: ['app/driver-client/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_INTERNALS, BAN_RENDERER),
  },
  {
    files: ['app/driver-client/**/*.test.ts', 'app/driver-client/test-support/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_INTERNALS_BUT_TEST_SUPPORT, BAN_RENDERER),
  },
  {
    files: ['native/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_APP, BAN_RENDERER),
  },
  {
    files: ['native/src/**/*.ts'],
    ignores: ['native/src/**/*.test.ts', 'native/src/ffi.ts', 'native/src/windows/network-ffi.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_APP, BAN_RENDERER, BAN_TEST_SUPPORT),
  },
  {
    // The symbol tables: the core ones, and the Windows network ones (iphlpapi, wlanapi), kept apart
    // so that the core module stays the size one can review.
    files: ['native/src/ffi.ts', 'native/src/windows/network-ffi.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_APP, BAN_RENDERER, BAN_TEST_SUPPORT),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: banImports(BAN_ELECTRON, BAN_NODE, BAN_FFI, BAN_NATIVE, BAN_APP_INTERNALS),
  },
  {
    files: ['e2e/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_FFI, BAN_NATIVE_BUT_TEST_SUPPORT, BAN_APP_INTERNALS, BAN_RENDERER),
  },
);
