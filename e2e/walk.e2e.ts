// A new user's walk through the studio, in Chromium through browser mode: the output-folder picker picks exactly
// the folder in its path field, and makes a new one; Start training shows the run starting, not a refusal of it;
// the 1:1 comparison keeps its divider in view; Save writes the photo that was converted, without converting it
// again, and says where it went.
import { test, expect, type Page } from '@playwright/test';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { tinyTranslatorBytes } from '../models/onnx/convert-fixtures.js';
import { decodeImageFile } from '../models/data/image-io.js';
import { callFromPage, dropFile, makePhoto, scratch, studioUrl, watchConsole } from './helpers.js';

test.describe.configure({ mode: 'serial' });

let page: Page;
let consoleErrors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ acceptDownloads: true });
  consoleErrors = watchConsole(page);
  await page.goto(studioUrl());
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(consoleErrors, 'no errors in the browser console').toEqual([]);
});

const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true });
const browseOutput = async () => {
  await page.locator('.field', { has: page.getByTestId('batch-output') }).getByRole('button', { name: 'Browse…' }).click();
  return page.getByRole('dialog');
};

test('the output picker makes a typed folder that does not exist yet, and picks exactly that folder', async () => {
  await nav('Batch').click();
  const dialog = await browseOutput();
  const wanted = join(scratch(), 'walk-nights');
  await dialog.getByLabel('Folder path').fill(wanted);
  await dialog.getByRole('button', { name: 'Go' }).click();
  await expect(dialog.getByTestId('folder-problem')).toHaveText(/walk-nights does not exist yet\./);
  await expect(page.getByTestId('notices').getByText(/does not exist/)).toHaveCount(0);

  // Choose must not fall back on the folder listed before (the home folder).
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('batch-output')).toHaveValue('');

  await dialog.getByTestId('make-missing-folder').click();
  await expect(dialog.getByTestId('folder-problem')).toBeHidden();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(realpathSync(wanted));
  expect(existsSync(wanted)).toBe(true);
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('batch-output')).toHaveValue(realpathSync(wanted));
});

test('New folder in the output picker makes a folder inside the one shown, and Choose picks it', async () => {
  const dialog = await browseOutput();
  await dialog.getByLabel('Folder path').fill(scratch());
  await dialog.getByRole('button', { name: 'Go' }).click();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(realpathSync(scratch()));
  await dialog.getByRole('button', { name: 'New folder…' }).click();
  await dialog.getByLabel('New folder name').fill('walk-made');
  await dialog.getByRole('button', { name: 'Make folder' }).click();
  const made = realpathSync(scratch()) + '/walk-made';
  await expect(dialog.getByLabel('Folder path')).toHaveValue(made);
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('batch-output')).toHaveValue(made);
});

test("a view's error does not follow the user to another view", async () => {
  await page.getByTestId('batch-input').fill('');
  await page.getByTestId('start-batch').click();
  const notice = page.getByTestId('notices').getByRole('alert').filter({ hasText: 'Choose the folder of photos to convert.' });
  await expect(notice).toHaveCount(1);
  await nav('Train').click();
  await expect(notice).toHaveCount(0);
});

test('after Start the run is shown starting: no refusal of its own name, Start disabled, the live panel in view', async () => {
  await nav('Train').click();
  await page.getByLabel('Run name').fill('Walk nights');
  await page.getByTestId('size').fill('32');
  await page.getByTestId('iterations').fill('5000');
  const start = page.getByTestId('start-training');
  await start.click();
  const live = page.getByTestId('run-live');
  await expect(live.getByRole('heading', { name: 'Walk nights' })).toBeVisible({ timeout: 90_000 });
  await expect(live).toBeInViewport();
  await expect(start).toBeDisabled();
  await expect(page.getByTestId('train-started')).toContainText('“Walk nights” is training');
  await expect(page.getByText(/already a run named/)).toHaveCount(0);

  // Changing the form is a new run: its name is then taken, and said so.
  await page.getByTestId('iterations').fill('4000');
  await expect(page.getByTestId('train-problem')).toHaveText('There is already a run named "Walk nights": choose another name.');
  await page.getByTestId('iterations').fill('5000');
  await expect(start).toBeDisabled();

  await live.getByRole('button', { name: 'Stop' }).click();
  await expect(live.getByTestId('run-status')).toHaveText('stopped', { timeout: 120_000 });
  await expect(start).toBeEnabled();
});

test('at 1:1 the compare divider stays in view across the whole slider, and the labels name only what is in view', async () => {
  const reply = (await callFromPage(page, 'models.import', { name: 'walk-compare.onnx', base64: Buffer.from(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' })).toString('base64') })) as {
    ok: boolean;
    result?: { id: string };
  };
  await nav('Convert').click();
  await page.getByTestId('convert-model').selectOption(reply.result!.id);
  await dropFile(page, 'drop-zone', 'wide.png', await makePhoto(3000, 1200), 'image/png');
  await expect(page.getByTestId('result-size')).toHaveText('3000×1200', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Actual size (100 %)' }).click();
  const frame = (await page.getByTestId('compare').boundingBox())!;
  for (const split of ['5', '50', '95']) {
    await page.getByTestId('split-slider').fill(split);
    const divider = (await page.getByTestId('compare-divider').boundingBox())!;
    expect(divider.x).toBeGreaterThanOrEqual(frame.x - 2);
    expect(divider.x + divider.width).toBeLessThanOrEqual(frame.x + frame.width + 2);
    await expect(page.getByTestId('tag-original')).toBeVisible();
    await expect(page.getByTestId('tag-translated')).toBeVisible();
  }
  await page.getByTestId('split-slider').fill('0');
  await expect(page.getByTestId('tag-original')).toHaveCount(0);
  await expect(page.getByTestId('tag-translated')).toBeVisible();
  await page.getByTestId('split-slider').fill('100');
  await expect(page.getByTestId('tag-translated')).toHaveCount(0);
  await expect(page.getByTestId('tag-original')).toBeVisible();
});

test('Save writes the converted photo without converting it again, and says what went to the downloads', async () => {
  const reply = (await callFromPage(page, 'models.import', { name: 'walk.onnx', base64: Buffer.from(await tinyTranslatorBytes({ 'darkroom.range': '-1,1' })).toString('base64') })) as {
    ok: boolean;
    result?: { id: string };
  };
  expect(reply.ok).toBe(true);
  await nav('Convert').click();
  await page.getByTestId('convert-model').selectOption(reply.result!.id);
  await dropFile(page, 'drop-zone', 'walk.png', await makePhoto(64, 40), 'image/png');
  await expect(page.getByTestId('result-size')).toHaveText('64×40');

  // With its model removed, the photo can be saved only from what was converted.
  expect((await callFromPage(page, 'models.delete', { id: reply.result!.id })).ok).toBe(true);
  await page.getByTestId('convert-format').selectOption('jpg');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save…' }).click();
  const saved = await download;
  expect(saved.suggestedFilename()).toBe('walk-translated.jpg');
  const file = join(scratch(), 'walk-translated.jpg');
  await saved.saveAs(file);
  const image = await decodeImageFile(file);
  expect([image.width, image.height]).toEqual([64, 40]);
  expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  await expect(page.getByTestId('notices')).toContainText("Saved walk-translated.jpg");
  await expect(page.getByTestId('notices')).toContainText("to your browser's downloads");
  await expect(page.getByTestId('notices').locator('.notice.error')).toHaveCount(0);
});
