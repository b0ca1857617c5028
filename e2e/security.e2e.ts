// Browser mode against other pages in the same browser: a page of another server on 127.0.0.1 and a page of a
// foreign host name (DNS rebinding, mapped to 127.0.0.1 by Chromium's resolver rules) can neither call the API
// nor load media, even with a media URL the studio's page used; and the studio itself writes only where allowed.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { callFromPage, makeImageFolder, scratch, studioUrl } from './helpers.js';

const FOREIGN_HOST = 'darkroom-elsewhere.test';

let other: Server;
let otherPort: number;
/** The Cookie headers the other server received: a cookie sent there would hand it the studio's credential. */
const cookiesSeen: string[] = [];
const studio = () => new URL(studioUrl());
const token = () => studio().searchParams.get('token')!;
const mediaKey = () => token().split('.')[0];

test.beforeAll(async () => {
  other = createServer((req, res) => {
    if (req.headers.cookie) cookiesSeen.push(req.headers.cookie);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Another local server</title><p>another page');
  });
  await new Promise<void>((resolve) => other.listen(0, '0.0.0.0', resolve));
  otherPort = (other.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => other.close(resolve));
});

/** A thumbnail of the sample project: an image the studio's own page shows. */
async function sampleImageRef(page: Page): Promise<string> {
  const datasets = (await callFromPage(page, 'datasets.list', {})) as unknown as { ok: true; result: { thumbnails: string[] }[] };
  return datasets.result[0].thumbnails[0];
}

/** Loads an image in a page; 'loaded' or 'refused'. */
function loadImage(page: Page, src: string): Promise<string> {
  return page.evaluate(
    (src) =>
      new Promise<string>((resolve) => {
        const img = new Image();
        img.onload = () => resolve(img.naturalWidth > 0 ? 'loaded' : 'refused');
        img.onerror = () => resolve('refused');
        img.src = src;
      }),
    src,
  );
}

/** A POST the page can send without reading the answer (no preflight): 'sent' or 'failed'. */
function postBlind(page: Page, url: string, body: unknown): Promise<string> {
  return page.evaluate(
    ({ url, body }) =>
      fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) }).then(
        () => 'sent',
        () => 'failed',
      ),
    { url, body },
  );
}

async function openStudio(browser: Browser): Promise<{ studioPage: Page; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const studioPage = await context.newPage();
  await studioPage.goto(studioUrl());
  await expect(studioPage.getByRole('heading', { level: 1 })).toBeVisible();
  return { studioPage, close: () => context.close() };
}

test('a page of another port on 127.0.0.1 gets no credential and can neither load media nor call the API', async ({ browser }) => {
  const { studioPage, close } = await openStudio(browser);
  const ref = await sampleImageRef(studioPage);
  const media = `${studio().origin}/media/${ref}`;
  expect(await loadImage(studioPage, `${media}?key=${mediaKey()}`), 'the studio page itself shows it').toBe('loaded');

  const otherPage = await studioPage.context().newPage();
  await otherPage.goto(`http://127.0.0.1:${otherPort}/`);
  expect(await loadImage(otherPage, media)).toBe('refused');
  expect(await loadImage(otherPage, `${media}?key=${mediaKey()}`), 'even a media URL the studio page used').toBe('refused');
  const planted = 'Planted by another page';
  expect(await postBlind(otherPage, `${studio().origin}/api/datasets.add`, { path: join(scratch(), 'workspace', 'sample', 'day'), name: planted })).toBe('sent');
  const read = await otherPage.evaluate((url) => fetch(url, { method: 'POST', credentials: 'include', body: '{}' }).then((r) => `status ${r.status}`, () => 'failed'), `${studio().origin}/api/app.info`);
  expect(read).toBe('failed');
  const datasets = (await callFromPage(studioPage, 'datasets.list', {})) as unknown as { result: { name: string }[] };
  expect(datasets.result.map((d) => d.name)).not.toContain(planted);
  expect(cookiesSeen, 'the other server never received a cookie').toEqual([]);
  await close();
});

test('a page of a foreign host name, even one resolving to 127.0.0.1, can neither load media nor call the API', async ({ browser, launchOptions }) => {
  const { studioPage, close } = await openStudio(browser);
  const ref = await sampleImageRef(studioPage);
  await close();
  const rebinding = await browser.browserType().launch({ ...launchOptions, args: [...(launchOptions.args ?? []), `--host-resolver-rules=MAP ${FOREIGN_HOST} 127.0.0.1`] });
  try {
    const foreign = await rebinding.newPage();
    await foreign.goto(`http://${FOREIGN_HOST}:${otherPort}/`);
    await expect(foreign).toHaveTitle('Another local server');
    const port = studio().port;
    expect(await loadImage(foreign, `http://${FOREIGN_HOST}:${port}/media/${ref}?key=${mediaKey()}`)).toBe('refused');
    expect(await loadImage(foreign, `${studio().origin}/media/${ref}?key=${mediaKey()}`)).toBe('refused');
    // With the token, from this page the API is another origin: the browser's preflight is refused.
    const status = await foreign.evaluate(
      ({ url, token }) => fetch(url, { method: 'POST', headers: { 'x-darkroom-token': token }, body: '{}' }).then((r) => r.status, () => 'failed'),
      { url: `http://${FOREIGN_HOST}:${port}/api/app.info`, token: token() },
    );
    expect(status).toBe('failed');
    // The studio's address under the rebound name (same origin to such a page) answers nothing but the refusal.
    for (const path of ['/', `/media/${ref}?key=${mediaKey()}`]) {
      const response = await foreign.goto(`http://${FOREIGN_HOST}:${port}${path}`);
      expect(response?.status(), path).toBe(403);
      await expect(foreign.locator('body')).toContainText('foreign Host header');
    }
  } finally {
    await rebinding.close();
  }
});

test('the studio writes only into its workspace and chosen output folders, and reads only chosen folders', async ({ browser }) => {
  const { studioPage, close } = await openStudio(browser);
  // Outside the e2e scratch folder, which other tests may have chosen as an output.
  const elsewhere = mkdtempSync(join(tmpdir(), 'darkroom-not-chosen-'));
  const batch = await callFromPage(studioPage, 'batch.start', { modelId: 'any-model', input: join(scratch(), 'workspace', 'sample', 'day'), output: join(elsewhere, 'out') });
  expect(batch.ok).toBe(false);
  expect(batch.error!.message).toContain('outside the workspace and the output folders you chose');
  expect(existsSync(join(elsewhere, 'out'))).toBe(false);
  const save = await callFromPage(studioPage, 'convert.save', { resultId: 'any-result', format: 'png', path: join(elsewhere, 'evil.txt') });
  expect(save.error!.message).toContain("saved through the browser's downloads");
  expect(existsSync(join(elsewhere, 'evil.txt'))).toBe(false);

  const photos = await makeImageFolder(join(scratch(), 'typed-not-chosen'), 2, 32);
  await studioPage.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Datasets', exact: true }).click();
  await studioPage.getByTestId('dataset-path').fill(photos);
  await studioPage.getByTestId('add-dataset').click();
  await expect(studioPage.getByRole('alert')).toContainText('choose the folder with Browse… first');
  await close();
});

test('the printed address opens the studio once: the token never shows in the address or the page, a reload keeps it', async ({ browser }) => {
  const launch = process.env.DARKROOM_E2E_LAUNCH_URL!;
  expect(launch).toMatch(/\?launch=/);
  const page = await browser.newPage();
  await page.goto(launch);
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  expect(page.url()).not.toMatch(/launch=|token=/);
  await expect(page.locator('meta[name="darkroom-token"]')).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  // The same address again (from the history, say) is spent: no token.
  const again = await browser.newPage();
  await again.goto(launch);
  await expect(again.getByRole('alert')).toContainText('This page has no access token');
  // …and says how to get a new address from the running serve, without restarting it.
  await expect(again.getByRole('alert')).toContainText('press Enter in the terminal where `darkroom serve` runs (or send it SIGUSR1');
  await Promise.all([page.close(), again.close()]);
});

test('a running serve asked with SIGUSR1 prints a new address, which opens the studio once', async ({ browser }) => {
  test.skip(process.platform === 'win32', 'SIGUSR1 is POSIX; on Windows serve takes Enter only');
  const out = process.env.DARKROOM_E2E_SERVE_STDOUT!;
  const launches = () => readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('"type":"launch"'));
  const before = launches().length;
  process.kill(Number(process.env.DARKROOM_E2E_SERVE_PID), 'SIGUSR1');
  await expect.poll(() => launches().length, { timeout: 10_000 }).toBe(before + 1);
  const { launchUrl } = JSON.parse(launches().at(-1)!) as { launchUrl: string };
  expect(launchUrl).not.toBe(process.env.DARKROOM_E2E_LAUNCH_URL);
  const page = await browser.newPage();
  await page.goto(launchUrl);
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  const again = await browser.newPage();
  await again.goto(launchUrl);
  await expect(again.getByRole('alert')).toContainText('This page has no access token');
  await Promise.all([page.close(), again.close()]);
});
