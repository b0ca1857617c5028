// Runs that go on and say what they learned from, and models named for what they do: a tiny CycleGAN on the
// sample scenes with its grid's row labels, loss meanings and datasets shown, trained more after it finished,
// exported (twice) as "day → night" first, which Convert then picks; the Train form's refusals and its warning
// before a second training, the Runs badge, and a reload keeping the view, the open run and the form.
// Named to run after studio.e2e.ts, whose first-start checks need a workspace without runs.
import { test, expect, type Page } from '@playwright/test';
import { screenshot, studioUrl, watchConsole } from './helpers.js';

test.describe.configure({ mode: 'serial' });

let page: Page;
let consoleErrors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  consoleErrors = watchConsole(page);
  await page.goto(studioUrl());
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(consoleErrors, 'no errors in the browser console').toEqual([]);
});

const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true });
const RUN = 'More nights';

/** The Train form as the sample project fills it, made tiny: a few seconds of training. */
async function fillTinyRun(name: string, iterations: number): Promise<void> {
  await nav('Train').click();
  await page.getByLabel('Run name').fill(name);
  await page.getByTestId('size').fill('32');
  await page.getByTestId('iterations').fill(String(iterations));
  const advanced = page.locator('details', { has: page.getByText('Advanced') });
  if ((await advanced.getAttribute('open')) === null) await page.getByText('Advanced').click();
  await page.getByTestId('sample-every').fill('2');
  await page.getByLabel('Generator width', { exact: true }).fill('4');
  await page.getByLabel('Discriminator width', { exact: true }).fill('4');
  await page.getByLabel('Residual blocks', { exact: true }).fill('1');
}

test('the Train form refuses Domain A = Domain B and says how long a first result takes', async () => {
  await nav('Train').click();
  const b = page.getByTestId('dataset-b');
  const original = await b.inputValue();
  await b.selectOption(await page.getByTestId('dataset-a').inputValue());
  await expect(page.getByTestId('train-problem')).toHaveText(/Domain A and domain B are the same dataset/);
  await b.selectOption(original);
  await expect(page.getByTestId('train-problem')).toBeHidden();
  // With no earlier run of the family the estimate gives iterations only; after one (studio.e2e.ts trains one in
  // the same workspace) it adds the time at that run's measured rate.
  await expect(page.getByTestId('train-estimate')).toHaveText(/recognisable samples\s+(usually come\s+)?after about 400 iterations/i);
});

test('a run shows its sample rows, its losses in words and what it learned from, then trains more after it finished', async () => {
  await fillTinyRun(RUN, 4);
  await page.getByTestId('start-training').click();
  const live = page.getByTestId('run-live');
  await expect(live.getByRole('heading', { name: RUN })).toBeVisible({ timeout: 90_000 });
  await expect(live.getByTestId('run-status')).toHaveText('done', { timeout: 180_000 });
  await expect(live.getByTestId('iteration')).toHaveText('4 / 4');

  await expect(live.getByTestId('sample-rows').getByRole('listitem')).toHaveText(['real A', 'A → B', 'A → B → A', 'real B', 'B → A', 'B → A → B']);
  await live.getByText('What the losses mean').click();
  await expect(live.getByTestId('loss-meanings')).toContainText('Cycle A: how far A → B → A comes back from the original');

  await live.getByTestId('more-total').fill('6');
  await live.getByTestId('train-more').click();
  await expect(live.getByTestId('iteration')).toHaveText('6 / 6', { timeout: 180_000 });
  await expect(live.getByTestId('run-status')).toHaveText('done');

  await nav('Train').click();
  await expect(page.getByTestId('train-estimate')).toContainText(`measured in “${RUN}” (32 px`);
  await page.getByLabel('Run name').fill(RUN.toUpperCase());
  await expect(page.getByTestId('train-problem')).toHaveText(`There is already a run named "${RUN}": choose another name.`);

  await nav('Runs').click();
  const about = page.getByTestId('run-about');
  await expect(about.getByTestId('run-dataset')).toHaveCount(2);
  await expect(about.getByTestId('run-dataset').first()).toContainText('Domain A: Sample: day scenes');
  await expect(about.getByTestId('run-dataset').first()).toContainText('no files skipped');
  await expect(about.getByTestId('run-device')).not.toBeEmpty();
  await about.getByText('Every setting').click();
  await expect(about.getByRole('table', { name: 'Settings' })).toContainText('schedule.decay');
  await screenshot(page, 'run-about');
});

test('exported models are named by their domains, exporting again adds no twins, and Convert picks day → night', async () => {
  await nav('Runs').click();
  await page.getByRole('button', { name: `Open run ${RUN}` }).click();
  const rows = page.getByTestId('model-row').filter({ hasText: RUN });
  for (let i = 0; i < 2; i++) {
    const exported = page.waitForResponse((response) => response.url().endsWith('/api/runs.export'));
    await page.getByTestId('export-run').click();
    expect((await exported).ok()).toBe(true);
    await nav('Models').click();
    await expect(rows).toHaveText([new RegExp(`${RUN}: day → night`), new RegExp(`${RUN}: night → day`)]);
    await nav('Runs').click();
  }
  await nav('Models').click();
  await rows.filter({ hasText: 'night → day' }).getByRole('button').click();
  await page.getByRole('button', { name: 'Rename…' }).click();
  await page.getByTestId('model-name').fill('Mornings');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByTestId('model-row').filter({ hasText: 'Mornings' })).toHaveCount(1);
  await nav('Convert').click();
  await expect(page.getByTestId('convert-model').locator('option:checked')).toHaveText(`${RUN}: day → night`);
});

test('a second training asks first, and the Runs badge shows only a run at work', async () => {
  const badge = page.getByRole('navigation', { name: 'Views' }).getByLabel(/^\d+ training$/);
  await fillTinyRun('Long nights', 100_000);
  await page.getByTestId('start-training').click();
  const live = page.getByTestId('run-live');
  await expect(live.getByTestId('run-status')).toHaveText('training', { timeout: 90_000 });
  await expect(badge).toHaveText('1');
  await expect(badge).toHaveAttribute('aria-label', '1 training');

  await page.getByLabel('Run name').fill('Second nights');
  await page.getByTestId('start-training').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Long nights is training on this machine');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  await live.getByRole('button', { name: 'Stop' }).click();
  await expect(live.getByTestId('run-status')).toHaveText('stopped', { timeout: 120_000 });
  await expect(badge).toBeHidden();
  await nav('Runs').click();
  await expect(page.getByTestId('run-row').filter({ hasText: 'Second nights' })).toHaveCount(0);
});

test('a reload keeps the current view, the open run, the open model and the Train form', async () => {
  await nav('Runs').click();
  await page.getByRole('button', { name: `Open run ${RUN}` }).click();
  await expect(page.getByTestId('run-live').getByRole('heading', { name: RUN })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeVisible();
  await expect(page.getByTestId('run-live').getByRole('heading', { name: RUN })).toBeVisible();

  await nav('Models').click();
  await page.getByTestId('model-row').filter({ hasText: 'Mornings' }).getByRole('button').click();
  await page.reload();
  await expect(page.getByRole('region', { name: 'Model Mornings' })).toBeVisible();

  await nav('Train').click();
  await page.getByLabel('Run name').fill('Kept after reload');
  await page.getByTestId('iterations').fill('123');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Run name')).toHaveValue('Kept after reload');
  await expect(page.getByTestId('iterations')).toHaveValue('123');
  await expect(page.getByLabel('Generator width', { exact: true })).toHaveValue('4');
});

test('screenshots of the Train and run pages, light and dark', async () => {
  for (const theme of ['light', 'dark']) {
    if ((await page.locator('html').getAttribute('data-theme')) !== theme) await page.getByRole('button', { name: /Switch to .* theme/ }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await nav('Train').click();
    await screenshot(page, `train-form-${theme}`);
    await nav('Runs').click();
    await page.getByRole('button', { name: `Open run ${RUN}` }).click();
    await expect(page.getByTestId('run-about')).toBeVisible();
    await screenshot(page, `run-page-${theme}`);
  }
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
});
