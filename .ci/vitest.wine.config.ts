import { defineConfig } from 'vitest/config';

// The Windows suite: Windows user-mode code run for real under Wine (native/test-support/wine).
// One Wine prefix serves every file, one file at a time; a Windows program takes a second or two
// to start under Wine, hence the long timeouts.
export const config = defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['app/**/*.wine.test.ts', 'native/**/*.wine.test.ts', 'resources/**/*.wine.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    globalSetup: ['.ci/vitest-private-tmp.ts', 'native/test-support/wine/global-setup.ts'],
  },
});

// Vitest loads the config through its default export; it is the one default export we allow.
export default config;
