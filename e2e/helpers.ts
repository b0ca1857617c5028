// Shared by the end-to-end tests: the studio's address, test images made on the spot, screenshots, and a
// watch on the browser console (the studio must not log errors).
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';
import { encodePng } from '../models/data/image-io.js';
import { renderScene } from '../models/data/scenes.js';

export const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

export function studioUrl(): string {
  const url = process.env.DARKROOM_E2E_URL;
  if (!url) throw new Error('DARKROOM_E2E_URL is not set: run the tests through e2e/playwright.config.ts (its globalSetup starts the studio)');
  return url;
}

export const scratch = (): string => process.env.DARKROOM_E2E_SCRATCH!;

/** A folder of `count` day scenes (size px) plus, when asked, one file that only pretends to be a JPEG. */
export async function makeImageFolder(dir: string, count: number, size: number, options: { corrupt?: string; seedBase?: number } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `photo-${i + 1}.png`), await renderScene((options.seedBase ?? 500) + i, 'day', size));
  if (options.corrupt) writeFileSync(join(dir, options.corrupt), 'this is not really a JPEG');
  return dir;
}

/** A width × height PNG with a colour gradient: a "photo" whose size is not square nor a multiple of 4. */
export async function makePhoto(width: number, height: number): Promise<Buffer> {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels.set([(x * 255) / width, (y * 255) / height, 128], (y * width + x) * 3);
  return encodePng(pixels, width, height, 3);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Collects console errors and uncaught exceptions of a page, to assert none happened. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Drops a file on an element the way a person dragging it from the desktop would. */
export async function dropFile(page: Page, testId: string, name: string, bytes: Buffer, type: string): Promise<void> {
  await dropFiles(page, testId, [{ name, bytes, type }]);
}

/** Drops several files at once, as a selection dragged from the desktop. */
export async function dropFiles(page: Page, testId: string, files: { name: string; bytes: Buffer; type: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((files) => {
    const transfer = new DataTransfer();
    for (const { base64, name, type } of files) transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type }));
    return transfer;
  }, files.map(({ name, bytes, type }) => ({ base64: bytes.toString('base64'), name, type })));
  await page.getByTestId(testId).dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId(testId).dispatchEvent('drop', { dataTransfer });
}

/**
 * Chooses a folder the way a person does in browser mode: Browse… beside the field, the folder's path typed in
 * the folder browser, Go, then Choose this folder (which lets the studio read there, or write for an output).
 */
export async function chooseFolder(page: Page, fieldTestId: string, folder: string): Promise<void> {
  await page.locator('.field', { has: page.getByTestId(fieldTestId) }).getByRole('button', { name: 'Browse…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Folder path').fill(folder);
  const listed = page.waitForResponse((response) => response.url().endsWith('/api/fs.list'));
  await dialog.getByRole('button', { name: 'Go' }).click();
  await listed;
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId(fieldTestId)).toHaveValue(realpathSync(folder));
}

/** Calls the studio's API from inside its page, with the token the page holds: what the page itself could do. */
export async function callFromPage(page: Page, method: string, request: unknown): Promise<{ ok: boolean; error?: { message: string } }> {
  return page.evaluate(
    async ({ method, request }) => {
      const token = sessionStorage.getItem('darkroom.token') ?? '';
      const response = await fetch(`/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'x-darkroom-token': token }, body: JSON.stringify(request) });
      return response.json();
    },
    { method, request },
  );
}
