import { defineConfig } from '@playwright/test';

// Chromium comes from the system (apt's /usr/bin/chromium, or ZF_CHROMIUM): Playwright never
// downloads a browser here. The flags keep it from reaching for the network at start.
export const config = defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  // Builds the release daemon the tests run (build-daemon.ts).
  globalSetup: './build-daemon.ts',
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  timeout: 30_000,
  use: {
    launchOptions: {
      executablePath: process.env['ZF_CHROMIUM'] ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});

// Playwright loads its config through the default export.
export default config;
