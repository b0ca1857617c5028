// End-to-end tests of the studio in Chromium through browser mode. globalSetup builds the renderer and starts
// `darkroom serve` on a free port with a throwaway workspace; tests read its address from the environment.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.e2e\.ts$/,
  outputDir: '../test-results/e2e',
  globalSetup: './global-setup.ts',
  // The newcomer's path is one story (train → export → convert), so one worker, in order.
  workers: 1,
  fullyParallel: false,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
