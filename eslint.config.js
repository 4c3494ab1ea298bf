// Lint rules, including the layer rules of ARCHITECTURE.md ("Layers and what may import what"):
// a wrong import fails `npm test`. .ci/layer-rules.test.ts proves each rule fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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

/** Builds a no-restricted-imports rule from [pattern group (or { regex }), reason] pairs. */
function banImports(...bans) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: bans.map(([group, message]) => (Array.isArray(group) ? { group, message } : { ...group, message })),
      },
    ],
  };
}

const BAN_ELECTRON = [['electron', 'electron/*'], 'Only the app shell (app/main, app/preload) may import Electron.'];
const BAN_NODE = [NODE_BUILTINS, 'This layer runs without Node built-ins.'];
const BAN_REACT = [
  ['react', 'react-dom', 'react-dom/*', 'zustand', '@tanstack/*', 'uplot'],
  'React and UI libraries belong to the renderer.',
];
const BAN_FFI = [['ffi-rs'], 'Only native/src/ffi.ts may import ffi-rs.'];
const BAN_NATIVE = [
  ['**/native/**', '**/native'],
  'Only app/driver-client and app/platform (its public entry) may use the native binding.',
];
// A regex: gitignore-style groups cannot let one file of an excluded folder back in.
const BAN_NATIVE_INTERNALS = [
  { regex: '(^|/)native(/(?!src/index\\.ts$).*)?$' },
  "app/platform may use only the binding's public entry, native/src/index.ts.",
];
// End-to-end tests reach the binding only through the app; the Windows suite's test
// infrastructure (native/test-support: Wine, the device stand-in) is not the binding.
const BAN_NATIVE_BUT_TEST_SUPPORT = [
  { regex: '(^|/)native(/(?!test-support/).*)?$' },
  'End-to-end tests use the public surfaces; of native/ only its test support (native/test-support).',
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
    files: ['app/**/*.ts'],
    ignores: ['app/contract/**', 'app/engine/**', 'app/driver-client/**', 'app/platform/**'],
    rules: banImports(BAN_REACT, BAN_FFI, BAN_NATIVE, BAN_RENDERER),
  },
  {
    // Host and platform (ARCHITECTURE.md): engine, store, the binding's public entry, Node built-ins.
    files: ['app/platform/**/*.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, BAN_FFI, BAN_NATIVE_INTERNALS, BAN_SHELL, BAN_RENDERER),
  },
  {
    files: ['app/driver-client/**/*.ts'],
    rules: banImports(BAN_REACT, BAN_FFI, BAN_RENDERER),
  },
  {
    files: ['native/**/*.ts'],
    ignores: ['native/src/ffi.ts'],
    rules: banImports(
      BAN_ELECTRON,
      BAN_REACT,
      BAN_FFI,
      [['**/app/**'], 'The binding knows nothing of the app.'],
      BAN_RENDERER,
    ),
  },
  {
    files: ['native/src/ffi.ts'],
    rules: banImports(BAN_ELECTRON, BAN_REACT, [['**/app/**'], 'The binding knows nothing of the app.'], BAN_RENDERER),
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
