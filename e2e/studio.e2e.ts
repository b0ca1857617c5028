// A newcomer's first session with the studio, in Chromium through browser mode, asserting what they see:
// the sample project, adding a dataset, a tiny CycleGAN training live with pause and resume, exporting it,
// converting a dropped photo, a folder batch with a corrupt file, and the token guarding it all.
import { test, expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { chooseFolder, dropFile, makeImageFolder, makePhoto, scratch, screenshot, studioUrl, watchConsole } from './helpers.js';

test.describe.configure({ mode: 'serial' });

let page: Page;
let consoleErrors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  consoleErrors = watchConsole(page);
  await page.goto(studioUrl());
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(consoleErrors, 'no errors in the browser console').toEqual([]);
});

const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true });

test('the token is required: without it the page and the API refuse', async ({ browser, request }) => {
  const origin = new URL(studioUrl()).origin;
  const bare = await browser.newPage();
  await bare.goto(origin + '/');
  await expect(bare.getByRole('alert')).toContainText('This page has no access token');
  await bare.close();
  const api = await request.post(`${origin}/api/runs.list`, { data: {} });
  expect(api.status()).toBe(401);
  const wrong = await request.post(`${origin}/api/runs.list`, { data: {}, headers: { 'x-darkroom-token': 'not-the-token' } });
  expect(wrong.status()).toBe(401);
});

test('the token leaves the address bar and stays with this tab only: no cookie, and a reload still works', async () => {
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  expect(page.url()).not.toContain('token');
  expect(await page.context().cookies()).toEqual([]);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  expect(page.url()).not.toContain('token');
});

test('the first start opens the sample project', async () => {
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  await expect(page.getByText('A sample project is ready')).toBeVisible();
  await expect(page.getByTestId('dataset-a')).toHaveValue(/.+/);
  await expect(page.getByTestId('dataset-a').locator('option:checked')).toHaveText(/Sample: day scenes/);
  await expect(page.getByTestId('dataset-b').locator('option:checked')).toHaveText(/Sample: night scenes/);
  await nav('Datasets').click();
  await expect(page.getByTestId('dataset-card')).toHaveCount(2);
  await screenshot(page, 'datasets-sample');
});

test('a dataset is added from a folder and its count shown', async () => {
  const folder = await makeImageFolder(join(scratch(), 'my-photos'), 5, 48, { corrupt: 'broken.jpg' });
  await chooseFolder(page, 'dataset-path', folder);
  await page.getByLabel('Name').fill('My photos');
  await page.getByTestId('add-dataset').click();
  const report = page.getByTestId('dataset-report');
  await expect(report.getByRole('heading', { name: 'My photos' })).toBeVisible();
  await expect(page.getByTestId('dataset-card').filter({ hasText: 'My photos' }).getByTestId('dataset-count')).toHaveText('5');
  await expect(report.getByTestId('dataset-unreadable')).toHaveText('1');
  await expect(report.getByRole('table', { name: 'Problems' })).toContainText('broken.jpg');
  await expect(report.getByRole('table', { name: 'Problems' })).toContainText('Cannot be read');
  await screenshot(page, 'datasets');
});

test('a large dataset shows every image in a virtualised grid: few in the page, later ones after scrolling', async () => {
  const count = 300;
  const folder = await makeImageFolder(join(scratch(), 'many-photos'), count, 40, { seedBase: 900 });
  await chooseFolder(page, 'dataset-path', folder);
  await page.getByLabel('Name').fill('Many photos');
  await page.getByTestId('add-dataset').click();
  const report = page.getByTestId('dataset-report');
  await expect(report.getByRole('heading', { name: 'Many photos' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('dataset-card').filter({ hasText: 'Many photos' }).getByTestId('dataset-count')).toHaveText(String(count));
  const gallery = report.getByTestId('dataset-gallery');
  await expect(gallery.getByRole('img', { name: 'photo-1.png', exact: true })).toBeVisible();
  const rendered = await gallery.locator('img').count();
  expect(rendered).toBeGreaterThan(0);
  expect(rendered).toBeLessThan(count / 3);
  // The last image (files sort by name: photo-99.png is last) is not in the page until the grid is scrolled to it.
  const last = gallery.getByRole('img', { name: 'photo-99.png', exact: true });
  await expect(last).toHaveCount(0);
  await gallery.focus();
  await page.keyboard.press('End');
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute('title', 'photo-99.png');
  await expect(gallery.getByRole('img', { name: 'photo-1.png', exact: true })).toHaveCount(0);
  expect(await gallery.locator('img').count()).toBeLessThan(count / 3);
});

test('a tiny CycleGAN trains while the loss chart and sample grid update; pause and resume', async () => {
  await nav('Train').click();
  await page.getByLabel('Run name').fill('e2e day to night');
  await page.getByTestId('size').fill('32');
  // Enough iterations that Pause lands before the end on a fast backend (the run is paused mid-way, then finishes).
  await page.getByTestId('iterations').fill('24');
  await page.getByText('Advanced').click();
  await page.getByTestId('sample-every').fill('2');
  // The family's options are named in words; an empty one says its default, or the option that decides it.
  const form = page.getByRole('form', { name: 'New training run' });
  await expect(form).toContainText('Cycle loss weight');
  await expect(form).not.toContainText('default ()');
  await expect(form).not.toContainText('lambdaCycle');
  await expect(page.getByLabel('Generator width', { exact: true })).toHaveAttribute('placeholder', 'set by Preset');
  await expect(page.getByLabel('Image pool size', { exact: true })).toHaveAttribute('placeholder', 'default (50)');
  // A very small network, so that the test spends seconds, not minutes.
  await page.getByLabel('Generator width', { exact: true }).fill('8');
  await page.getByLabel('Discriminator width', { exact: true }).fill('8');
  await page.getByLabel('Residual blocks', { exact: true }).fill('1');
  await page.getByTestId('start-training').click();

  const live = page.getByTestId('run-live');
  await expect(live.getByRole('heading', { name: 'e2e day to night' })).toBeVisible({ timeout: 90_000 });
  await expect(live.getByTestId('backend')).not.toHaveText('—');
  // The chart gains points and the sample grid appears, then changes, as training goes on.
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  const grid = page.getByTestId('sample-grid');
  await expect(grid).toBeVisible({ timeout: 120_000 });
  const firstSample = await grid.getAttribute('src');
  await expect.poll(async () => grid.getAttribute('src'), { timeout: 120_000 }).not.toBe(firstSample);
  await screenshot(page, 'train');

  await live.getByRole('button', { name: 'Pause' }).click();
  await expect(live.getByTestId('run-status')).toHaveText('paused', { timeout: 120_000 });
  const pausedAt = Number((await live.getByTestId('iteration').textContent())!.split('/')[0]);
  expect(pausedAt).toBeGreaterThanOrEqual(2);
  expect(pausedAt).toBeLessThan(24);
  await live.getByRole('button', { name: 'Resume' }).click();
  await expect(live.getByTestId('run-status')).toHaveText('done', { timeout: 180_000 });
  await expect(live.getByTestId('iteration')).toHaveText('24 / 24');
});

test('the run is listed and exports to ONNX', async () => {
  await nav('Runs').click();
  const row = page.getByTestId('run-row').filter({ hasText: 'e2e day to night' });
  await expect(row.getByTestId('run-status')).toHaveText('done');
  await row.getByRole('button', { name: /Open run/ }).click();
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-list')).toContainText('cyclegan-generator-AtoB.onnx', { timeout: 60_000 });
  await screenshot(page, 'runs');
  await nav('Models').click();
  // This run's two generators (other e2e files import models of their own into the same workspace).
  const rows = page.getByTestId('model-row').filter({ hasText: 'e2e day to night' });
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('cyclegan');
  await rows.filter({ hasText: 'AtoB' }).getByRole('button').click();
  await screenshot(page, 'models');
});

test('a photo dropped on Convert comes back translated at its own size, with a working slider', async () => {
  await nav('Convert').click();
  await page.getByTestId('convert-model').selectOption({ label: 'e2e day to night: day → night' });
  await dropFile(page, 'drop-zone', 'street.png', await makePhoto(150, 98), 'image/png');
  await expect(page.getByTestId('result-size')).toHaveText('150×98', { timeout: 60_000 });
  const after = page.getByTestId('after-image');
  await expect(after).toBeVisible();
  const natural = await after.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
  expect(natural).toEqual([150, 98]);
  await expect(after).toHaveAttribute('style', /inset\(0px 0px 0px 50%\)|inset\(0 0 0 50%\)/);
  await page.getByTestId('split-slider').fill('20');
  await expect(after).toHaveAttribute('style', /20%/);
  const zoom = await page.getByTestId('zoom-level').textContent();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.getByTestId('zoom-level')).not.toHaveText(zoom!);
  await screenshot(page, 'convert');
});

test('a folder batch completes and reports the corrupt file', async () => {
  const input = await makeImageFolder(join(scratch(), 'batch-in'), 3, 40, { corrupt: 'corrupt.jpg', seedBase: 900 });
  const outputs = join(scratch(), 'studio-outputs');
  mkdirSync(outputs, { recursive: true });
  const output = join(outputs, 'batch-out');
  await nav('Batch').click();
  await chooseFolder(page, 'batch-input', input);
  // The output folder does not exist yet: choose where it goes (its own parent, not all of scratch()), then name it.
  await chooseFolder(page, 'batch-output', outputs);
  await page.getByTestId('batch-output').fill(output);
  await page.getByTestId('batch-model').selectOption({ label: 'e2e day to night: day → night' });
  await page.getByTestId('start-batch').click();
  await expect(page.getByTestId('batch-summary')).toContainText('3 converted', { timeout: 120_000 });
  await expect(page.getByTestId('batch-summary')).toContainText('1 failed');
  await expect(page.getByTestId('batch-failures')).toContainText('corrupt.jpg');
  await expect(page.getByTestId('batch-converted')).toHaveText('3');
  await expect(page.getByTestId('batch-failed')).toHaveText('1');
  expect(existsSync(join(output, 'photo-1.png'))).toBe(true);
  await screenshot(page, 'batch');
});

test('the dark theme applies everywhere', async () => {
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await nav('Runs').click();
  await screenshot(page, 'runs-dark');
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
});
