import { defineConfig } from 'vitest/config';

// One Vitest run covers every TypeScript layer; tests sit next to the code they test.
export const config = defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: [
      'app/**/*.test.ts',
      'native/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      '.ci/*.test.ts',
      'resources/**/*.test.ts',
      'e2e/support/**/*.test.ts',
    ],
    // The Windows suite under Wine has its own run (vitest.wine.config.ts).
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.wine.test.ts'],
    testTimeout: 20_000,
    globalSetup: ['.ci/vitest-private-tmp.ts'],
  },
});

// Vitest loads the config through its default export; it is the one default export we allow.
export default config;
