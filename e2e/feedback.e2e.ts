// Feedback on slow actions and the small things a user notices, in Chromium through browser mode: Convert's
// device, tile progress, cancel, queue, side-by-side and 1:1 zoom; Batch's counters with failures, after a
// rerun and after a cancel, its output folder and gallery; notices beside the content, never over it; the
// folder browser's places; the banner when the back end is gone; and every view, light and dark, on file.
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyGeneratorBytes, tinyTranslatorBytes } from '../models/onnx/convert-fixtures.js';
import { callFromPage, chooseFolder, dropFile, dropFiles, makeImageFolder, makePhoto, scratch, screenshot, studioUrl, watchConsole } from './helpers.js';

test.describe.configure({ mode: 'serial' });

let page: Page;
let consoleErrors: string[];
/** A small ResNet generator: seconds on a photo of a few megapixels, so that there is time to cancel. */
let slowModel: string;
/** One convolution: instant. */
let fastModel: string;

async function importModel(name: string, bytes: Uint8Array): Promise<string> {
  const reply = (await callFromPage(page, 'models.import', { name, base64: Buffer.from(bytes).toString('base64') })) as { ok: boolean; result?: { id: string } };
  expect(reply.ok).toBe(true);
  return reply.result!.id;
}

const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true });
const png = async (name: string, width: number, height: number) => ({ name, bytes: await makePhoto(width, height), type: 'image/png' });

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  consoleErrors = watchConsole(page);
  await page.goto(studioUrl());
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  slowModel = await importModel('feedback-slow.onnx', await tinyGeneratorBytes({ ngf: 16, blocks: 2 }));
  fastModel = await importModel('feedback-fast.onnx', await tinyTranslatorBytes({ 'darkroom.range': '-1,1' }));
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(consoleErrors, 'no errors in the browser console').toEqual([]);
});

test('Convert runs on the device chosen in its menu and says which device ran the photo', async () => {
  await nav('Convert').click();
  await page.getByTestId('convert-model').selectOption(fastModel);
  // Only the devices this platform's ONNX Runtime has are offered, and the field says why the others are not.
  if (process.platform === 'linux') {
    await expect(page.getByTestId('convert-device-choice').locator('option')).toHaveText(['auto', 'cpu', 'webgpu', 'cuda']);
    await expect(page.getByTestId('convert-device-choice-elsewhere')).toHaveText(/DirectML is only in ONNX Runtime for Windows; Core ML is only in ONNX Runtime for macOS/);
  }
  await page.getByTestId('convert-device-choice').selectOption('cpu');
  await dropFile(page, 'drop-zone', 'street.png', await makePhoto(150, 98), 'image/png');
  await expect(page.getByTestId('result-size')).toHaveText('150×98');
  await expect(page.getByTestId('convert-device')).toContainText('on CPU');
});

test('Convert shows tile progress, and Cancel stops the photo while the previous result stays', async () => {
  await page.getByTestId('convert-model').selectOption(slowModel);
  await dropFile(page, 'drop-zone', 'large.png', await makePhoto(2400, 1600), 'image/png');
  await expect(page.getByTestId('convert-tiles')).toHaveText(/^tile \d+ of \d+$/, { timeout: 60_000 });
  const [done, total] = (await page.getByTestId('convert-tiles').textContent())!.match(/\d+/g)!.map(Number);
  expect(done).toBeLessThan(total);
  await page.getByTestId('convert-cancel').click();
  await expect(page.getByTestId('convert-progress')).toBeHidden({ timeout: 60_000 });
  await expect(page.getByTestId('convert-info')).toContainText('street.png');
  await expect(page.getByTestId('result-size')).toHaveText('150×98');
  await expect(page.getByTestId('notices').getByRole('alert')).toHaveCount(0);
});

test('several dropped photos wait in a queue and are converted in turn', async () => {
  await dropFiles(page, 'drop-zone', [await png('first.png', 1400, 900), await png('second.png', 120, 80)]);
  await expect(page.getByTestId('convert-queue')).toContainText('second.png');
  await expect(page.getByTestId('convert-info')).toContainText('second.png', { timeout: 60_000 });
  await expect(page.getByTestId('result-size')).toHaveText('120×80');
  await expect(page.getByTestId('convert-progress')).toBeHidden();
});

test('the same photo by two models side by side, and a 1:1 zoom', async () => {
  await page.getByTestId('compare-model').selectOption(fastModel);
  await page.getByRole('button', { name: 'Side by side' }).click();
  const sides = page.getByTestId('side-by-side');
  await expect(sides.getByRole('img')).toHaveCount(2, { timeout: 60_000 });
  await expect(sides).toContainText('feedback-slow');
  await expect(sides).toContainText('feedback-fast');
  await page.getByRole('button', { name: 'Back to before/after' }).click();
  await page.getByRole('button', { name: 'Actual size (100 %)' }).click();
  await expect(page.getByTestId('zoom-level')).toHaveText('100%');
});

test('a batch with a broken file counts converted, skipped and failed apart, shows its output folder and a gallery', async () => {
  const input = await makeImageFolder(join(scratch(), 'feedback-in'), 3, 40, { corrupt: 'corrupt.jpg', seedBase: 700 });
  // The output folder does not exist yet: choose its own parent (choosing all of scratch() would let every later
  // test write anywhere in it), then name it.
  const outputs = join(scratch(), 'feedback-outputs');
  mkdirSync(outputs, { recursive: true });
  const output = join(outputs, 'out');
  await nav('Batch').click();
  await chooseFolder(page, 'batch-input', input);
  await chooseFolder(page, 'batch-output', outputs);
  await page.getByTestId('batch-output').fill(output);
  await page.getByTestId('batch-model').selectOption(fastModel);
  await page.getByTestId('batch-format').selectOption('png');
  await expect(page.getByTestId('batch-quality')).toBeHidden();
  await page.getByTestId('batch-format').selectOption('jpg');
  await expect(page.getByTestId('batch-quality')).toBeVisible();
  await page.getByTestId('batch-format').selectOption('same');

  await page.getByTestId('start-batch').click();
  await expect(page.getByTestId('batch-summary')).toContainText('Finished', { timeout: 60_000 });
  await expect(page.getByTestId('batch-converted')).toHaveText('3');
  await expect(page.getByTestId('batch-skipped')).toHaveText('0');
  await expect(page.getByTestId('batch-failed')).toHaveText('1');
  await expect(page.getByTestId('batch-failures')).toContainText('corrupt.jpg');
  await expect(page.getByTestId('batch-failures')).toContainText('not an image');
  await expect(page.getByTestId('batch-output-folder').getByRole('textbox')).toHaveValue(realpathSync(output));

  const gallery = page.getByTestId('batch-gallery');
  await expect(gallery.getByRole('button', { name: /^Open .* before and after$/ })).toHaveCount(3);
  await gallery.getByRole('button', { name: 'Open photo-2.png before and after' }).click();
  await expect(gallery.getByTestId('compare')).toBeVisible();
  await expect(gallery.getByTestId('after-image')).toHaveJSProperty('naturalWidth', 40);
  await gallery.getByRole('button', { name: 'Back to the gallery' }).click();

  // Run again: what is there is skipped, the broken file fails again, nothing is converted.
  await page.getByTestId('start-batch').click();
  await expect(page.getByTestId('batch-summary')).toContainText('0 converted, 3 skipped', { timeout: 60_000 });
  await expect(page.getByTestId('batch-converted')).toHaveText('0');
  await expect(page.getByTestId('batch-skipped')).toHaveText('3');
  await expect(page.getByTestId('batch-failed')).toHaveText('1');
});

test('a cancelled batch says Cancelling…, then counts what it converted and what it did not reach', async () => {
  const input = join(scratch(), 'feedback-many');
  mkdirSync(input, { recursive: true });
  const total = 12;
  for (let i = 0; i < total; i++) writeFileSync(join(input, `big-${String(i).padStart(2, '0')}.png`), await makePhoto(1200, 800));
  await chooseFolder(page, 'batch-input', input);
  await page.getByTestId('batch-output').fill(join(scratch(), 'feedback-outputs', 'many'));
  await page.getByTestId('batch-model').selectOption(slowModel);
  await page.getByTestId('start-batch').click();
  await expect(page.getByTestId('batch-converted')).not.toHaveText('0', { timeout: 60_000 });
  await page.getByTestId('cancel-batch').click();
  await expect(page.getByTestId('batch-cancelling')).toBeVisible();
  await expect(page.getByTestId('batch-summary')).toContainText('Cancelled', { timeout: 60_000 });
  const count = async (id: string) => Number(await page.getByTestId(id).textContent());
  const [converted, skipped, failed, left] = [await count('batch-converted'), await count('batch-skipped'), await count('batch-failed'), await count('batch-left')];
  expect(converted).toBeGreaterThan(0);
  expect(left).toBeGreaterThan(0);
  expect([skipped, failed, converted + left]).toEqual([0, 0, total]);
  await expect(page.getByTestId('batch-summary')).toContainText(`${converted} converted, 0 skipped (already there), 0 failed, ${left} not reached`);
});

test('notices sit above the view, never over it, and a repeated one is counted', async () => {
  await page.getByTestId('batch-input').fill('');
  await page.getByTestId('start-batch').click();
  await page.getByTestId('start-batch').click();
  const notice = page.getByTestId('notices').getByRole('alert').filter({ hasText: 'Choose the folder of photos to convert.' });
  await expect(notice).toHaveCount(1);
  await expect(notice).toContainText('×2');
  const noticeBox = (await notice.boundingBox())!;
  const mainBox = (await page.locator('#main').boundingBox())!;
  expect(noticeBox.y + noticeBox.height).toBeLessThanOrEqual(mainBox.y);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('notices')).toBeHidden();
});

test('the folder browser offers Home and the workspace as places', async () => {
  await page.locator('.field', { has: page.getByTestId('batch-input') }).getByRole('button', { name: 'Browse…' }).click();
  const dialog = page.getByRole('dialog');
  const places = dialog.getByRole('group', { name: 'Places' });
  await expect(places.getByRole('button', { name: 'Home' })).toBeVisible();
  await places.getByRole('button', { name: 'Workspace' }).click();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(realpathSync(process.env.DARKROOM_E2E_WORKSPACE!));
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
});

test('a banner says so when the back end is gone', async ({ browser }) => {
  await expect(page.getByTestId('backend-gone')).toBeHidden();
  const cut = await browser.newPage();
  // The event socket is refused every time, as when `darkroom serve` has stopped.
  await cut.routeWebSocket(/\/events/, (socket) => socket.close());
  await cut.goto(studioUrl());
  await expect(cut.getByTestId('backend-gone')).toContainText('not answering');
  await cut.close();
});

test('a reload keeps the Batch, Convert and Datasets forms', async () => {
  await nav('Batch').click();
  await page.getByTestId('batch-input').fill('/somewhere/day photos');
  await page.getByTestId('batch-model').selectOption(fastModel);
  await page.getByTestId('batch-format').selectOption('jpg');
  await page.getByTestId('batch-quality').fill('77');
  await nav('Convert').click();
  await page.getByTestId('convert-model').selectOption(slowModel);
  await page.getByTestId('convert-device-choice').selectOption('cpu');
  await nav('Datasets').click();
  await page.getByTestId('dataset-path').fill('/somewhere/nights');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Datasets', level: 1 })).toBeVisible();
  await expect(page.getByTestId('dataset-path')).toHaveValue('/somewhere/nights');
  await nav('Convert').click();
  await expect(page.getByTestId('convert-model')).toHaveValue(slowModel);
  await expect(page.getByTestId('convert-device-choice')).toHaveValue('cpu');
  await nav('Batch').click();
  await expect(page.getByTestId('batch-input')).toHaveValue('/somewhere/day photos');
  await expect(page.getByTestId('batch-model')).toHaveValue(fastModel);
  await expect(page.getByTestId('batch-format')).toHaveValue('jpg');
  await expect(page.getByTestId('batch-quality')).toHaveValue('77');
  await page.getByTestId('batch-input').fill('');
});

test('every view, light and dark, is on file for review', async () => {
  const views = ['Datasets', 'Train', 'Runs', 'Convert', 'Batch', 'Models', 'Devices'];
  for (const theme of ['light', 'dark'] as const) {
    if ((await page.locator('html').getAttribute('data-theme')) !== theme) await page.getByRole('button', { name: `Switch to ${theme} theme` }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    for (const view of views) {
      await nav(view).click();
      await expect(page.getByRole('heading', { name: view, level: 1 })).toBeVisible();
      await screenshot(page, `${view.toLowerCase()}-${theme}`);
    }
  }
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
});
