import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openFolderDataset } from './folder-dataset.js';
import { VIEW, renderScene, sceneFileName, sceneGeometry, sceneSvg, writeSceneDataset } from './scenes.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-scenes-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rgb(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { data, width: info.width, height: info.height };
}

test('scenes are deterministic and differ between seeds', async () => {
  const a = await renderScene(7, 'day', 64);
  const b = await renderScene(7, 'day', 64);
  assert.ok(a.equals(b));
  assert.ok(!a.equals(await renderScene(8, 'day', 64)));
  assert.deepEqual(sceneGeometry(7), sceneGeometry(7));
  const img = await rgb(a);
  assert.deepEqual([img.width, img.height], [64, 64]);
});

test('day and night of a seed share the geometry; only colours and opacities change', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const g = sceneGeometry(seed);
    const day = sceneSvg(g, 'day', 128);
    const night = sceneSvg(g, 'night', 128);
    assert.notEqual(day, night);
    const strip = (svg: string) => svg.replace(/(fill|stop-color|opacity|stop-opacity)="[^"]*"/g, '$1=""');
    assert.equal(strip(day), strip(night), `seed ${seed}: same document apart from colours`);
  }
});

test('rendered pairs line up: the near-hill mask is the same, windows dark by day and lit at night', async () => {
  const seed = 3;
  const size = 256;
  const [day, night] = await Promise.all([rgb(await renderScene(seed, 'day', size)), rgb(await renderScene(seed, 'night', size))]);
  const mask = (img: { data: Buffer }, colour: number[]) => {
    const m = new Uint8Array(size * size);
    for (let i = 0; i < m.length; i++) {
      m[i] = Math.abs(img.data[i * 3] - colour[0]) + Math.abs(img.data[i * 3 + 1] - colour[1]) + Math.abs(img.data[i * 3 + 2] - colour[2]) <= 6 ? 1 : 0;
    }
    return m;
  };
  const dayHill = mask(day, [0x4f, 0x8d, 0x3c]);
  const nightHill = mask(night, [0x0f, 0x1d, 0x22]);
  let both = 0;
  let either = 0;
  for (let i = 0; i < dayHill.length; i++) {
    both += dayHill[i] & nightHill[i];
    either += dayHill[i] | nightHill[i];
  }
  assert.ok(either > size * size * 0.05, 'the near hill is visible');
  assert.ok(both / either > 0.97, `near-hill masks agree (IoU ${(both / either).toFixed(3)})`);

  let meanDay = 0;
  let meanNight = 0;
  for (let i = 0; i < day.data.length; i++) {
    meanDay += day.data[i];
    meanNight += night.data[i];
  }
  assert.ok(meanNight < meanDay * 0.5, 'night is darker');

  const scale = size / VIEW;
  const windows = sceneGeometry(seed).houses.flatMap((h) => h.windows);
  assert.ok(windows.some((w) => w.lit));
  for (const w of windows) {
    const x = Math.round((w.x + w.w / 2) * scale);
    const y = Math.round((w.y + w.h / 2) * scale);
    const i = (y * size + x) * 3;
    const d = [day.data[i], day.data[i + 1], day.data[i + 2]];
    const n = [night.data[i], night.data[i + 1], night.data[i + 2]];
    assert.ok(d[0] < 110 && d[1] < 110 && d[2] < 120, `window dark by day: ${d}`);
    if (w.lit) assert.ok(n[0] > 200 && n[1] > 150 && n[2] < 150, `lit window warm at night: ${n}`);
    else assert.ok(n[0] < 60 && n[1] < 60, `unlit window dark at night: ${n}`);
  }
});

test('writeSceneDataset: unpaired uses disjoint seeds, paired matches names; atomic, loadable', async () => {
  const unpaired = join(dir, 'unpaired');
  const res = await writeSceneDataset(unpaired, { count: 3, size: 32, seedBase: 10 });
  assert.deepEqual(res.daySeeds, [10, 12, 14]);
  assert.deepEqual(res.nightSeeds, [11, 13, 15]);
  assert.deepEqual((await readdir(join(unpaired, 'day'))).sort(), res.daySeeds.map(sceneFileName));
  assert.deepEqual((await readdir(join(unpaired, 'night'))).sort(), res.nightSeeds.map(sceneFileName));
  assert.deepEqual((await readdir(unpaired)).sort(), ['day', 'night', 'scenes.json']);
  const manifest = JSON.parse(await readFile(join(unpaired, 'scenes.json'), 'utf8'));
  assert.equal(manifest.split, 'unpaired');
  const ds = await openFolderDataset(join(unpaired, 'night'), { loadSize: 32, cropSize: 32, flip: false });
  assert.equal(ds.size, 3);
  assert.equal(ds.skipped.length, 0);

  const paired = join(dir, 'paired');
  const p = await writeSceneDataset(paired, { count: 2, size: 32, seedBase: 100, split: 'paired' });
  assert.deepEqual(p.daySeeds, p.nightSeeds);
  assert.deepEqual(await readdir(join(paired, 'day')), await readdir(join(paired, 'night')));
  const [d, n] = await Promise.all([readFile(p.day[0]), readFile(p.night[0])]);
  assert.ok(d.equals(await renderScene(100, 'day', 32)));
  assert.ok(n.equals(await renderScene(100, 'night', 32)));
});
