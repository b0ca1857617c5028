// The desktop app through Playwright's Electron driver: the same studio, over IPC instead of HTTP. These run
// only where the Electron binary exists; npm installs the electron package without its download script and
// `npm start` fetches it, so where nothing fetched it they skip and say why (browser mode, studio.e2e.ts, covers
// the UI and the services).
import { test, expect, _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- a plain .mjs script without type declarations
import { buildStudio, electronBinary, MAIN_JS } from '../scripts/start.mjs';

const binary = (electronBinary as () => { path: string | null; reason: string | null })();
const skipReason = `No Electron binary here: ${binary.reason}. Browser mode (studio.e2e.ts) covers the UI; \`npm start\` downloads it where downloads work; then these run.`;
if (!binary.path) console.log(`electron.e2e.ts: skipped. ${skipReason}`);
test.skip(!binary.path, skipReason);

test.describe.configure({ mode: 'serial' });

let app: ElectronApplication;
let window: Page;
let workspace: string;

test.beforeAll(async () => {
  await (buildStudio as (o: { quiet: boolean }) => Promise<void>)({ quiet: true });
  workspace = mkdtempSync(join(tmpdir(), 'darkroom-electron-'));
  app = await electron.launch({ executablePath: binary.path!, args: [MAIN_JS as string, '--workspace', workspace] });
  window = await app.firstWindow();
});

test.afterAll(async () => {
  await app?.close();
  rmSync(workspace, { recursive: true, force: true });
});

test('the desktop window opens the sample project over IPC', async () => {
  await expect(window.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  await expect(window.getByTestId('dataset-a').locator('option:checked')).toHaveText(/Sample: day scenes/);
  await expect(window.getByText('Desktop')).toBeVisible();
});

test('the page has no Node, only the typed bridge', async () => {
  const globals = await window.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    bridge: Object.keys((globalThis as unknown as { darkroom: object }).darkroom).sort(),
  }));
  expect(globals.require).toBe('undefined');
  expect(globals.process).toBe('undefined');
  expect(globals.bridge).toEqual(['invoke', 'onEvent', 'pickFile', 'pickFolder', 'saveFile', 'startDrag']);
});

test('invalid IPC arguments are refused with a message, and navigation away is blocked', async () => {
  const message = await window.evaluate(async () => {
    const bridge = (globalThis as unknown as { darkroom: { invoke(m: string, r: unknown): Promise<unknown> } }).darkroom;
    return bridge.invoke('runs.get', { runId: '../../etc' }).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
  });
  expect(message).toMatch(/not a valid id/);
  await window.evaluate(() => (location.href = 'https://example.com/'));
  await expect.poll(() => window.url()).toMatch(/^app:\/\/darkroom\//);
});
