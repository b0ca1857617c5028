import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UsageError } from '../../models/errors.js';
import { negativeModelBytes, tinyGeneratorBytes } from '../../models/onnx/convert-fixtures.js';
import { openModel, type OnnxModel } from '../../models/onnx/runtime.js';
import { BAD_FILES, EXIF_COPYRIGHT, GOOD_PHOTOS, listTree, writeBadFiles, writeGoodPhotos } from './batch-fixtures.js';
import { REPORT_NAME, runBatch, type BatchEvent, type BatchReport } from './batch.js';
import { planBatch } from './batch-plan.js';
import { convertPhoto } from './convert.js';
import { cliText } from '../remedy-words.js';

let dir: string;
let modelPath: string;
let model: OnnxModel;

before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-batch-'));
  modelPath = join(dir, 'g.onnx');
  await fs.writeFile(modelPath, await tinyGeneratorBytes({ ngf: 8, blocks: 2 }));
  model = await openModel(modelPath, { device: 'cpu' });
});

after(async () => {
  await model.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  const path = join(dir, name);
  await fs.mkdir(path, { recursive: true });
  return path;
}

test('a folder is mirrored with names, metadata, alpha and depth kept; every bad file is reported by name, and the batch goes on', async () => {
  const input = await fresh('mixed');
  await writeGoodPhotos(input);
  await writeBadFiles(input);
  const out = join(dir, 'mixed-out');
  const events: BatchEvent[] = [];
  const { report, reportPath } = await runBatch({ model, inputs: [input], out, recursive: true, onEvent: (e) => events.push(e) });

  const good = Object.keys(GOOD_PHOTOS);
  const bad = Object.keys(BAD_FILES);
  assert.deepEqual(report.counts, { total: good.length + bad.length, done: good.length, skipped: 0, failed: bad.length, pending: 0 });
  assert.deepEqual(await listTree(out), [...good, REPORT_NAME].sort(), 'one output per good photo, same names and folders, nothing else');
  for (const name of bad) {
    const item = report.items.find((i) => i.input === join(input, name))!;
    assert.equal(item.status, 'failed', name);
    assert.match(item.reason!, BAD_FILES[name], `${name}: ${item.reason}`);
  }
  assert.deepEqual(JSON.parse(await fs.readFile(reportPath, 'utf8')), report, 'the report file is what the batch returned');
  assert.deepEqual(report.device, model.device, 'the report says which device ran the photos');
  assert.equal(report.status, 'finished');

  for (const [name, size] of Object.entries(GOOD_PHOTOS)) {
    const meta = await sharp(join(out, name)).metadata();
    assert.deepEqual([meta.width, meta.height], [size.width, size.height], `${name} keeps its displayed size`);
  }
  const oriented = await sharp(join(out, 'oriented.jpg')).metadata();
  assert.equal(oriented.orientation ?? 1, 1, 'pixels are upright, so orientation is reset');
  assert.ok(oriented.exif?.toString('latin1').includes(EXIF_COPYRIGHT), 'EXIF survives');
  const p3In = await sharp(join(input, 'p3.png')).metadata();
  const p3Out = await sharp(join(out, 'p3.png')).metadata();
  assert.ok(p3Out.icc && p3In.icc && Buffer.from(p3Out.icc).equals(Buffer.from(p3In.icc)), 'the Display P3 profile survives');
  const alphaIn = await sharp(join(input, 'alpha.png')).extractChannel(3).raw().toBuffer();
  const alphaOut = await sharp(join(out, 'alpha.png')).extractChannel(3).raw().toBuffer();
  assert.ok(alphaIn.equals(alphaOut), 'alpha passes through untouched');
  assert.equal((await sharp(join(out, 'deep.png')).metadata()).depth, 'ushort', '16-bit stays 16-bit');
  const rgbIn = await sharp(join(input, 'sub/nested.webp')).raw().toBuffer();
  const rgbOut = await sharp(join(out, 'sub/nested.webp')).raw().toBuffer();
  assert.ok(!rgbIn.equals(rgbOut), 'the photo was translated, not copied');

  // Events: started, one item per file, progress with a rate, finished naming the failures.
  assert.deepEqual(events[0], { type: 'started', total: 10, toConvert: 10, model: modelPath, inputs: [input], out, device: model.device });
  const items = events.filter((e) => e.type === 'item');
  assert.equal(items.length, 10);
  const last = events.at(-1)!;
  assert.ok(last.type === 'finished' && last.failed.length === bad.length && last.report === reportPath && !last.cancelled);
  assert.ok(last.type === 'finished' && last.device.name === 'cpu' && last.device.fallback === null, 'says which device ran the photos');
  const progress = events.filter((e): e is Extract<BatchEvent, { type: 'progress' }> => e.type === 'progress');
  assert.ok(progress.some((p) => p.current !== null) && progress.at(-1)!.done === 10 && progress.at(-1)!.imagesPerMinute > 0);

  // Again: everything converted is skipped (and left alone), the bad files fail again.
  const before = await Promise.all(good.map((g) => fs.stat(join(out, g)).then((s) => s.mtimeMs)));
  const againEvents: BatchEvent[] = [];
  const again = await runBatch({ model, inputs: [input], out, recursive: true, onEvent: (e) => againEvents.push(e) });
  assert.deepEqual(again.report.counts, { total: 10, done: 0, skipped: good.length, failed: bad.length, pending: 0 });
  const againProgress = againEvents.filter((e): e is Extract<BatchEvent, { type: 'progress' }> => e.type === 'progress');
  assert.ok(againProgress.length >= bad.length && againProgress.every((p) => p.imagesPerMinute === 0), 'files failing at once claim no speed');
  assert.deepEqual(againProgress.at(-1)!.counts, again.report.counts, 'progress counts converted, skipped and failed apart');
  assert.deepEqual(await Promise.all(good.map((g) => fs.stat(join(out, g)).then((s) => s.mtimeMs))), before);
  const rewritten = JSON.parse(await fs.readFile(reportPath, 'utf8')) as BatchReport;
  assert.deepEqual(rewritten.counts, again.report.counts, 'the report describes the latest run');
  assert.equal(new Set(rewritten.items.map((i) => i.input)).size, rewritten.items.length, 'each file once');
});

test('stopped with its signal, a batch says what is left; run again, it converts each remaining image exactly once', async () => {
  const input = await fresh('resume');
  await writeGoodPhotos(input);
  const out = join(dir, 'resume-out');
  const controller = new AbortController();
  const first = await runBatch({
    model,
    inputs: [input],
    out,
    recursive: true,
    format: 'png',
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'item' && e.status === 'done') controller.abort();
    },
  });
  assert.equal(first.report.status, 'cancelled');
  const doneFirst = first.report.items.filter((i) => i.status === 'done').map((i) => i.output);
  assert.ok(doneFirst.length >= 1 && first.report.counts.pending >= 1, JSON.stringify(first.report.counts));

  const written: string[] = [];
  const second = await runBatch({ model, inputs: [input], out, recursive: true, format: 'png', onEvent: (e) => e.type === 'item' && e.status === 'done' && written.push(e.output) });
  assert.equal(second.report.status, 'finished');
  assert.deepEqual(second.report.items.filter((i) => i.status === 'skipped').map((i) => i.output).sort(), doneFirst.sort());
  assert.deepEqual([...doneFirst, ...written].sort(), second.report.items.map((i) => i.output).sort(), 'every image converted exactly once');
  const expected = Object.keys(GOOD_PHOTOS).map((p) => p.replace(/\.\w+$/, '.png'));
  assert.deepEqual(await listTree(out), [...expected, REPORT_NAME].sort());
});

test('decoding and encoding overlap the runs when the model leaves a core free, with the same results as between runs', async (t) => {
  if (availableParallelism() < 2) return t.skip('needs two cores for a model that leaves one free');
  const input = await fresh('overlap');
  await writeGoodPhotos(input);
  await writeBadFiles(input);
  const oneThread = await openModel(modelPath, { device: 'cpu', threads: 1 });
  try {
    const between = await runBatch({ model, inputs: [input], out: join(dir, 'between-out'), recursive: true, format: 'png' });
    const overlapped = await runBatch({ model: oneThread, inputs: [input], out: join(dir, 'overlap-out'), recursive: true, format: 'png' });
    assert.deepEqual(overlapped.report.counts, between.report.counts);
    assert.deepEqual(
      overlapped.report.items.map((i) => [i.input, i.status]),
      between.report.items.map((i) => [i.input, i.status]),
    );
    // libvips's detail in brackets may differ between runs (its error buffer is shared by concurrent decodes),
    // so each reason is checked against what it must say.
    for (const item of overlapped.report.items.filter((i) => i.status === 'failed')) {
      assert.match(item.reason!, BAD_FILES[item.input.slice(input.length + 1)], `${item.input}: ${item.reason}`);
    }
    for (const item of between.report.items.filter((i) => i.status === 'done')) {
      const a = await sharp(item.output).raw().toBuffer();
      const b = await sharp(item.output.replace('between-out', 'overlap-out')).raw().toBuffer();
      assert.equal(a.length, b.length, item.output);
      assert.ok(a.every((v, k) => Math.abs(v - b[k]) <= 1), `${item.output}: the same pixels either way`);
    }
  } finally {
    await oneThread.dispose();
  }
});

test('planning refuses, before any work, inputs that are missing or empty and an output folder inside an input', async () => {
  const input = await fresh('plan');
  await writeGoodPhotos(input);
  const plan = (inputs: string[], out: string, extra: Partial<Parameters<typeof planBatch>[0]> = {}) =>
    planBatch({ inputs, out, recursive: false, format: 'same', overwrite: false, ...extra });
  await assert.rejects(plan([join(dir, 'nowhere')], join(dir, 'o')), (e: Error) => e instanceof UsageError && /nowhere does not exist/.test(e.message));
  await assert.rejects(plan([input], join(input, 'converted')), (e: Error) => e instanceof UsageError && /inside the input folder/.test(e.message));
  await assert.rejects(plan([input], input), /is the input folder/);
  const empty = await fresh('plan-empty');
  await assert.rejects(plan([empty], join(dir, 'o')), /no images in .*--recursive/);
  // Without --recursive only the top level; with it, the subfolder too.
  assert.equal((await plan([input], join(dir, 'o'))).length, 4);
  assert.equal((await plan([input], join(dir, 'o'), { recursive: true })).length, 5);
});

test('planning never writes over an input, and reports name clashes instead of overwriting', async () => {
  const input = await fresh('clash');
  await writeGoodPhotos(input);
  await fs.copyFile(join(input, 'p3.png'), join(input, 'p3.jpg'));
  await fs.writeFile(join(input, 'notes.txt'), 'not an image');
  // Into the photos' own folder: refused before any work, so no original can be replaced or mixed in.
  const intoOwnFolder = planBatch({ inputs: [join(input, 'p3.png'), join(input, 'p3.jpg')], out: input, recursive: false, format: 'png', overwrite: true });
  await assert.rejects(intoOwnFolder, (e: Error) => e instanceof UsageError && /is the folder of the input/.test(e.message));
  // Through a symlink to that folder, and when the output does not exist yet under such a link: refused too.
  await fs.symlink(input, join(dir, 'clash-link'));
  await assert.rejects(planBatch({ inputs: [join(input, 'p3.png')], out: join(dir, 'clash-link'), recursive: false, format: 'png', overwrite: false }), /is the folder of the input/);
  await assert.rejects(planBatch({ inputs: [input], out: join(dir, 'clash-link', 'new', 'deeper'), recursive: false, format: 'png', overwrite: false }), /inside the input folder/);
  // A folder inside a photo's folder is refused as one inside a folder input is: one rule for both.
  await assert.rejects(planBatch({ inputs: [join(input, 'p3.png')], out: join(input, 'converted'), recursive: false, format: 'png', overwrite: false }), /is inside the folder of the input .*p3\.png/);
  await assert.rejects(planBatch({ inputs: [join(dir, 'clash-link', 'p3.png')], out: join(input, 'converted', 'deeper'), recursive: false, format: 'png', overwrite: false }), /is inside the folder of the input/);

  const elsewhere = await planBatch({ inputs: [join(input, 'p3.png'), join(input, 'p3.jpg'), join(input, 'notes.txt')], out: join(dir, 'clash-out'), recursive: false, format: 'webp', overwrite: false });
  assert.deepEqual(elsewhere.map((j) => j.status), ['pending', 'failed', 'failed']);
  assert.match(elsewhere[1].reason!, /p3\.png is converted to the same output .*p3\.webp/);
  assert.match(elsewhere[2].reason ?? '', /not an image file \(\.txt\)/);
});

test('bad options are refused before any work', async () => {
  const input = await fresh('options');
  await writeGoodPhotos(input);
  const out = join(dir, 'options-out');
  await assert.rejects(runBatch({ model, inputs: [input], out, quality: 0 }), /--quality must be a whole number from 1 to 100/);
  await assert.rejects(runBatch({ model, inputs: [input], out, tile: 16 }), (e: Error) => /--tile must be a whole number of at least 64/.test(cliText(e.message)));
  await assert.rejects(runBatch({ model: join(dir, 'missing.onnx'), inputs: [input], out }), (e: Error) => e instanceof UsageError && /missing\.onnx does not exist/.test(e.message));
  await assert.rejects(fs.stat(out), 'nothing was created');
});

test('the convert service translates one photo from a path or from dropped bytes', async () => {
  const input = await fresh('single');
  await writeGoodPhotos(input);
  const fromPath = await convertPhoto(modelPath, join(input, 'oriented.jpg'), join(dir, 'single-out', 'oriented.webp'), { quality: 80 });
  assert.deepEqual([fromPath.format, fromPath.width, fromPath.height], ['webp', 80, 120]);
  assert.equal((await sharp(fromPath.output).metadata()).format, 'webp');
  const bytes = await fs.readFile(join(input, 'alpha.png'));
  const fromBytes = await convertPhoto(model, { name: 'dropped.png', bytes }, join(dir, 'single-out', 'dropped-result.png'));
  assert.equal((await sharp(fromBytes.output).metadata()).hasAlpha, true);
  await assert.rejects(convertPhoto(model, { name: 'broken.jpg', bytes: new Uint8Array(10) }, join(dir, 'single-out', 'x.png')), /Cannot read image broken\.jpg: /);
});

test("a model converted from Darkroom's copy (a checkpoint imported into the cache) is named in errors as the user's file", async () => {
  const cached = join(dir, 'cache', 'imported', '0123abcd.onnx');
  await fs.mkdir(join(dir, 'cache', 'imported'), { recursive: true });
  await fs.writeFile(cached, negativeModelBytes());
  const input = join(dir, 'label-in');
  await writeGoodPhotos(input);
  // No range metadata and no final Tanh or Sigmoid: the refusal names the model.
  await assert.rejects(runBatch({ model: cached, modelLabel: 'horse2zebra.pth', inputs: [input], out: join(dir, 'label-out'), device: 'cpu' }), (e: Error) => {
    assert.match(e.message, /model horse2zebra\.pth does not say which value range/);
    assert.ok(!e.message.includes(cached), e.message);
    return true;
  });
});
