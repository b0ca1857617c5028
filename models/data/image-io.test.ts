import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Tests make their fixtures with sharp directly; production code reaches sharp only through image-io.
import sharp from 'sharp';
import {
  IMAGE_EXTENSIONS,
  ImageReadError,
  ImageWriteError,
  assertNotInput,
  decodeImageFile,
  encodePng,
  getExifOrientation,
  isImagePath,
  makeThumbnail,
  readImageForTraining,
  readImageInfo,
  readPhoto,
  resolveOutputFormat,
  writeImageFileAtomic,
  writePhoto,
  writePngAtomic,
} from './image-io.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-image-io-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A w×h RGB image: left half `left`, right half `right`. */
function halves(w: number, h: number, left: number[], right: number[]): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) b.set(x < w / 2 ? left : right, (y * w + x) * 3);
  }
  return b;
}

function px(data: Uint8Array | Uint16Array, width: number, x: number, y: number, channels = 3): number[] {
  const i = (y * width + x) * channels;
  return Array.from(data.subarray(i, i + channels));
}

function near(actual: number[], expected: number[], tol: number, what: string) {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}: got [${actual}] expected [${expected}] ±${tol}`);
  }
}

test('image extensions', () => {
  assert.ok(IMAGE_EXTENSIONS.includes('heic'));
  for (const p of ['a.jpg', 'b/C.JPEG', 'x.Png', 'y.webp', 'z.tif', 'z.tiff', 'q.avif', 'g.gif', 'h.HEIC', 'h.heif']) {
    assert.ok(isImagePath(p), p);
  }
  for (const p of ['a.txt', 'jpg', 'a.jpg.bak', 'README', 'a.svg']) assert.ok(!isImagePath(p), p);
});

test('readImageForTraining applies EXIF orientation', async () => {
  // Stored 40×20: left red, right blue. Orientation 6 = rotate 90° clockwise to display → 20×40, red on top.
  const path = join(dir, 'rotated.jpg');
  await sharp(halves(40, 20, [230, 20, 20], [20, 20, 230]), { raw: { width: 40, height: 20, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(path);
  const info = await readImageInfo(path);
  assert.deepEqual([info.width, info.height], [20, 40]);
  const img = await readImageForTraining(path, { width: 20, height: 40 });
  assert.equal(img.length, 20 * 40 * 3);
  near(px(img, 20, 10, 5), [230, 20, 20], 20, 'top is red');
  near(px(img, 20, 10, 34), [20, 20, 230], 20, 'bottom is blue');
  const full = await decodeImageFile(path);
  assert.deepEqual([full.width, full.height, full.channels], [20, 40, 3]);
});

test('grey, grey+alpha, RGBA, 16-bit, CMYK, palette and animated inputs become 8-bit RGB', async () => {
  const w = 16;
  const h = 12;
  const files: { name: string; expect?: number[]; tol?: number }[] = [];
  await sharp(Buffer.alloc(w * h, 77), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, 'grey.png'));
  files.push({ name: 'grey.png', expect: [77, 77, 77], tol: 0 });
  const ga = Buffer.alloc(w * h * 2);
  for (let i = 0; i < w * h; i++) ga.set([120, i % 2 ? 0 : 255], i * 2);
  await sharp(ga, { raw: { width: w, height: h, channels: 2 } }).toColourspace('b-w').png().toFile(join(dir, 'grey-alpha.png'));
  files.push({ name: 'grey-alpha.png', expect: [120, 120, 120], tol: 0 });
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([10, 200, 30, 0], i * 4); // fully transparent: colour kept, alpha dropped
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(join(dir, 'rgba.png'));
  files.push({ name: 'rgba.png', expect: [10, 200, 30], tol: 0 });
  const deep = new Uint16Array(w * h * 3).fill(40000);
  await sharp(deep, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').png().toFile(join(dir, 'deep.png'));
  files.push({ name: 'deep.png', expect: [156, 156, 156], tol: 1 });
  await sharp(Buffer.alloc(w * h * 3, 128), { raw: { width: w, height: h, channels: 3 } })
    .withIccProfile('cmyk')
    .jpeg()
    .toFile(join(dir, 'cmyk.jpg'));
  assert.equal((await sharp(join(dir, 'cmyk.jpg')).metadata()).space, 'cmyk');
  files.push({ name: 'cmyk.jpg', expect: [128, 128, 128], tol: 20 });
  await sharp(Buffer.alloc(w * h * 3, 200), { raw: { width: w, height: h, channels: 3 } }).png({ palette: true }).toFile(join(dir, 'palette.png'));
  files.push({ name: 'palette.png', expect: [200, 200, 200], tol: 2 });
  const frame = (c: string) => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();
  await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } }).gif().toFile(join(dir, 'anim.gif'));
  files.push({ name: 'anim.gif', expect: [255, 0, 0], tol: 8 }); // first frame
  await sharp(Buffer.alloc(w * h * 3, 90), { raw: { width: w, height: h, channels: 3 } }).tiff({ compression: 'lzw' }).toFile(join(dir, 'plain.tif'));
  files.push({ name: 'plain.tif', expect: [90, 90, 90], tol: 0 });
  await sharp(Buffer.alloc(w * h * 3, 90), { raw: { width: w, height: h, channels: 3 } }).webp({ lossless: true }).toFile(join(dir, 'plain.webp'));
  files.push({ name: 'plain.webp', expect: [90, 90, 90], tol: 0 });

  for (const f of files) {
    const img = await readImageForTraining(join(dir, f.name), 8);
    assert.ok(img instanceof Uint8Array, f.name);
    assert.equal(img.length, 8 * 8 * 3, f.name);
    if (f.expect) near(px(img, 8, 4, 4), f.expect, f.tol ?? 0, f.name);
  }
});

/** Writes a 16-bit PNG tagged Display P3 whose colours are, in sRGB, `srgb8` (one pixel each). */
async function p3Deep(path: string, srgb8: number[]): Promise<void> {
  const n = srgb8.length / 3;
  const p3png = await sharp(Uint8Array.from(srgb8), { raw: { width: n, height: 1, channels: 3 } })
    .withIccProfile('p3', { attach: true })
    .png()
    .toBuffer();
  const stored = await sharp(p3png, { ignoreIcc: true }).raw().toBuffer();
  assert.notDeepEqual(Array.from(stored), srgb8, 'P3 values differ from sRGB values');
  const deep = Uint16Array.from(stored, (v) => v * 257);
  // At 16 bits sharp attaches the profile without converting (its 16-bit working space is P3).
  await sharp(deep, { raw: { width: n, height: 1, channels: 3 } })
    .toColourspace('rgb16')
    .withIccProfile('p3', { attach: true })
    .toColourspace('rgb16')
    .png()
    .toFile(path);
}

test('16-bit images with an embedded profile are converted to sRGB (not to sharp’s P3 working space)', async () => {
  const colours = [200, 60, 40, 40, 180, 90, 117, 78, 40];
  const path = join(dir, 'p3-16.png');
  await p3Deep(path, colours);
  const train = await readImageForTraining(path, { width: 3, height: 1 });
  near(Array.from(train), colours, 3, 'training pixels are sRGB');
  const photo = await readPhoto(path);
  assert.equal(photo.bitDepth, 16);
  assert.ok(photo.pixels instanceof Uint16Array);
  near(Array.from(photo.pixels, (v) => v / 257), colours, 3, 'photo pixels are sRGB');
  assert.ok(photo.icc && photo.icc.length > 128);

  // And back: writing the same sRGB pixels must reproduce the P3 file's colours.
  const out = join(dir, 'p3-16-out.png');
  const written = await writePhoto(out, photo.pixels, photo, { format: 'png' });
  assert.deepEqual(written, { format: 'png', bitDepth: 16 });
  const meta = await sharp(out).metadata();
  assert.equal(meta.depth, 'ushort');
  assert.ok(meta.icc?.equals(photo.icc!), 'original profile embedded');
  const [a, b] = await Promise.all(
    [path, out].map((p) => sharp(p, { ignoreIcc: true }).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer()),
  );
  near(Array.from(new Uint16Array(b.buffer, b.byteOffset, 9), (v) => v / 257), Array.from(new Uint16Array(a.buffer, a.byteOffset, 9), (v) => v / 257), 2, 'stored P3 values round-trip');
});

test('unreadable files give ImageReadError naming the file and the reason', async () => {
  const good = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  const cases: [string, Buffer | null, string, RegExp][] = [
    ['zero.jpg', Buffer.alloc(0), 'EMPTY', /empty/],
    ['fake.jpg', Buffer.from('this is not an image at all'), 'NOT_AN_IMAGE', /not an image/],
    ['truncated.jpg', good.subarray(0, Math.floor(good.length / 2)), 'CORRUPT', /truncated|damaged/],
    ['missing.png', null, 'NOT_FOUND', /does not exist/],
  ];
  for (const [name, data, code, reason] of cases) {
    const path = join(dir, name);
    if (data) await writeFile(path, data);
    for (const read of [() => readImageForTraining(path, 8), () => readPhoto(path)]) {
      await assert.rejects(read(), (err: unknown) => {
        assert.ok(err instanceof ImageReadError, `${name}: ${String(err)}`);
        assert.equal(err.code, code, name);
        assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
        assert.match(err.reason, reason);
        return true;
      });
    }
  }
  await assert.rejects(readImageForTraining(dir, 8), (err: unknown) => err instanceof ImageReadError && err.code === 'NOT_A_FILE');
});

test('the pixel limit (decompression bombs) gives a clear error', async () => {
  const path = join(dir, 'big.png');
  await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } }).png().toFile(path);
  await assert.rejects(readPhoto(path, { maxPixels: 5000 }), (err: unknown) => {
    assert.ok(err instanceof ImageReadError);
    assert.equal(err.code, 'TOO_LARGE');
    assert.match(err.message, /100×100.*decompression bomb/);
    return true;
  });
  await readPhoto(path, { maxPixels: 10000 });
});

const XMP =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ' +
  'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ' +
  'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" tiff:Orientation="6" ' +
  'xmp:Rating="4"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';

async function exifJpeg(path: string): Promise<void> {
  const w = 30;
  const h = 20;
  await sharp(halves(w, h, [200, 60, 40], [40, 120, 200]), { raw: { width: w, height: h, channels: 3 } })
    .withIccProfile('p3', { attach: true })
    .withExif({ IFD0: { Make: 'AcmeCam', Model: 'Model X' } })
    .withXmp(XMP)
    .withMetadata({ orientation: 6, density: 300 })
    .jpeg({ quality: 95 })
    .toFile(path);
}

test('readPhoto: oriented sRGB pixels, EXIF with orientation reset, ICC kept', async () => {
  const path = join(dir, 'exif.jpg');
  await exifJpeg(path);
  const src = await sharp(path).metadata();
  assert.equal(src.orientation, 6);
  const photo = await readPhoto(path);
  assert.equal(photo.format, 'jpeg');
  assert.deepEqual([photo.width, photo.height, photo.bitDepth, photo.orientation], [20, 30, 8, 6]);
  assert.equal(photo.pixels.length, 20 * 30 * 3);
  assert.equal(photo.alpha, null);
  assert.ok(photo.exif && photo.exif.toString('latin1').includes('AcmeCam'));
  assert.equal(getExifOrientation(photo.exif), 1);
  assert.ok(photo.icc?.equals(src.icc!));
  assert.equal(photo.density, 300);
  assert.match(photo.xmp ?? '', /tiff:Orientation="1"/);
  assert.match(photo.xmp ?? '', /xmp:Rating="4"/);
  near(px(photo.pixels, 20, 10, 3), [200, 60, 40], 12, 'top (stored left) is the red half, in sRGB');
});

test('writePhoto keeps EXIF and ICC, converts back to the source profile, and never overwrites its input', async () => {
  const path = join(dir, 'keep.jpg');
  await exifJpeg(path);
  const before = await readFile(path);
  const photo = await readPhoto(path);
  const reference = await decodeImageFile(path);
  for (const format of ['jpg', 'png', 'webp', 'avif', 'tiff'] as const) {
    const out = join(dir, `keep-out.${format}`);
    await writePhoto(out, photo.pixels, photo, { format, quality: 95 });
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height], [20, 30], format);
    assert.ok(meta.icc?.equals(photo.icc!), `${format}: source ICC profile embedded`);
    if (format !== 'tiff') {
      // libvips cannot write EXIF into TIFF; everything else keeps it.
      assert.ok(meta.exif?.toString('latin1').includes('AcmeCam'), `${format}: EXIF kept`);
      assert.equal(meta.orientation ?? 1, 1, `${format}: orientation 1 since pixels are upright`);
    }
    assert.match(meta.xmp?.toString('utf8') ?? '', /xmp:Rating="4"/, `${format}: XMP kept`);
    if (format === 'jpg' || format === 'png' || format === 'tiff') assert.equal(Math.round(meta.density ?? 0), 300, `${format}: DPI kept`);
    const back = await decodeImageFile(out);
    near(px(back.data, 20, 10, 3), px(reference.data, 20, 10, 3), format === 'avif' ? 14 : 6, `${format}: colours survive the round trip`);
    near(px(back.data, 20, 10, 26), px(reference.data, 20, 10, 26), format === 'avif' ? 14 : 6, `${format}: colours survive the round trip`);
  }
  await assert.rejects(writePhoto(path, photo.pixels, photo), (err: unknown) => err instanceof ImageWriteError && err.code === 'OUTPUT_IS_INPUT');
  await assert.rejects(
    writePhoto(join(dir, '.', 'x', '..', 'keep.jpg'), photo.pixels, photo),
    (err: unknown) => err instanceof ImageWriteError && err.code === 'OUTPUT_IS_INPUT',
  );
  const hard = join(dir, 'keep-link.jpg');
  await link(path, hard);
  await assert.rejects(assertNotInput(hard, path), (err: unknown) => err instanceof ImageWriteError && err.code === 'OUTPUT_IS_INPUT');
  await assert.rejects(
    writePhoto(join(dir, 'other.jpg'), photo.pixels, { ...photo, sourcePath: null }, { inputPath: join(dir, 'other.jpg') }),
    (err: unknown) => err instanceof ImageWriteError && err.code === 'OUTPUT_IS_INPUT',
  );
  assert.ok((await readFile(path)).equals(before), 'input untouched');
});

test('writePhoto re-attaches alpha (flattened onto white for jpg) and accepts float pixels with a range', async () => {
  const w = 8;
  const h = 6;
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([0, 0, 0, (i * 5) % 256], i * 4);
  const path = join(dir, 'alpha.png');
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(path);
  const photo = await readPhoto(path);
  assert.ok(photo.alpha instanceof Uint8Array);
  assert.deepEqual(Array.from(photo.alpha!), Array.from({ length: w * h }, (_, i) => (i * 5) % 256));

  // The "translated" image: mid grey as floats in [-1, 1].
  const grey = new Float32Array(w * h * 3).fill(0);
  await assert.rejects(writePhoto(join(dir, 'alpha-out.png'), grey, photo), TypeError);
  await writePhoto(join(dir, 'alpha-out.png'), grey, photo, { range: '-1,1' });
  const png = await sharp(join(dir, 'alpha-out.png')).raw().toBuffer({ resolveWithObject: true });
  assert.equal(png.info.channels, 4);
  for (let i = 0; i < w * h; i++) assert.deepEqual(px(png.data, w, i % w, Math.floor(i / w), 4), [128, 128, 128, (i * 5) % 256]);

  await writePhoto(join(dir, 'alpha-out.jpg'), grey, photo, { range: '-1,1', format: 'jpg' });
  const jpg = await sharp(join(dir, 'alpha-out.jpg')).raw().toBuffer({ resolveWithObject: true });
  assert.equal(jpg.info.channels, 3);
  near(px(jpg.data, w, 0, 0), [255, 255, 255], 3, 'fully transparent pixel flattened onto white');
});

test('resolveOutputFormat', () => {
  assert.equal(resolveOutputFormat('same', 'jpeg'), 'jpg');
  assert.equal(resolveOutputFormat('same', 'avif'), 'avif');
  assert.equal(resolveOutputFormat('same', 'gif'), 'png');
  assert.equal(resolveOutputFormat('webp', 'jpeg'), 'webp');
});

test('encodePng and atomic writes leave no temporary files', async () => {
  const sub = await mkdtemp(join(dir, 'atomic-'));
  const floats = Float32Array.from([-1, 0, 1, 1, 0, -1]);
  await assert.rejects(encodePng(floats, 2, 1, 3), TypeError);
  const png = await encodePng(floats, 2, 1, 3, { range: '-1,1' });
  assert.deepEqual(Array.from(await sharp(png).raw().toBuffer()), [0, 128, 255, 255, 128, 0]);
  const unit = await encodePng(Float32Array.from([0, 0.5, 1]), 1, 1, 3, { range: '0,1' });
  assert.deepEqual(Array.from(await sharp(unit).raw().toBuffer()), [0, 128, 255]);
  await writePngAtomic(join(sub, 'grid.png'), Uint8Array.from([1, 2, 3, 4, 5, 6]), 2, 1, 3);
  await writePngAtomic(join(sub, 'grid.png'), Uint8Array.from([9, 9, 9, 9, 9, 9]), 2, 1, 3);
  assert.deepEqual(Array.from(await sharp(join(sub, 'grid.png')).raw().toBuffer()), [9, 9, 9, 9, 9, 9]);

  // A refused write (overwrite: false onto an existing file) and a failed one leave nothing behind.
  await assert.rejects(writeImageFileAtomic(join(sub, 'grid.png'), Buffer.from('x'), { overwrite: false }), (err: unknown) => {
    return err instanceof ImageWriteError && err.code === 'EXISTS';
  });
  await assert.rejects(writeImageFileAtomic(join(sub, 'no-such-dir', 'a.png'), Buffer.from('x')));
  const photo = await readPhoto(join(sub, 'grid.png'));
  await assert.rejects(writePhoto(join(sub, 'bad.png'), new Uint8Array(5), photo), (err: unknown) => err instanceof ImageWriteError && err.code === 'BAD_PIXELS');
  await writePhoto(join(sub, 'ok.webp'), photo.pixels, photo, { format: 'webp' });
  const thumb = await makeThumbnail(join(sub, 'ok.webp'), 16);
  assert.equal((await sharp(thumb).metadata()).format, 'jpeg');
  assert.deepEqual((await readdir(sub)).sort(), ['grid.png', 'ok.webp']);
  assert.ok((await readFile(join(sub, 'grid.png'))).length > 0);
});

test('CMYK sources: pixels in sRGB; jpg output goes back to the CMYK profile, png gets sRGB', async () => {
  const path = join(dir, 'print.jpg');
  await sharp(halves(12, 8, [200, 60, 40], [40, 120, 200]), { raw: { width: 12, height: 8, channels: 3 } })
    .withIccProfile('cmyk', { attach: true })
    .jpeg({ quality: 95 })
    .toFile(path);
  const photo = await readPhoto(path);
  assert.deepEqual([photo.sourceSpace, photo.sourceChannels, photo.pixels.length], ['cmyk', 4, 12 * 8 * 3]);
  const reference = await decodeImageFile(path);
  await writePhoto(join(dir, 'print-out.jpg'), photo.pixels, photo);
  const jpg = await sharp(join(dir, 'print-out.jpg')).metadata();
  assert.equal(jpg.space, 'cmyk');
  assert.ok(jpg.icc?.equals(photo.icc!));
  await writePhoto(join(dir, 'print-out.png'), photo.pixels, photo, { format: 'png' });
  const png = await sharp(join(dir, 'print-out.png')).metadata();
  assert.equal(png.space, 'srgb');
  assert.ok(png.icc && !png.icc.equals(photo.icc!), 'an sRGB profile, not the CMYK one');
  // sharp converts to output profiles with the perceptual intent, which is not exactly invertible for CMYK
  // printer profiles (in-gamut colours move a little), hence the wider tolerance for the CMYK file.
  for (const [out, tol] of [['print-out.jpg', 28], ['print-out.png', 3]] as const) {
    const back = await decodeImageFile(join(dir, out));
    near(px(back.data, 12, 2, 4), px(reference.data, 12, 2, 4), tol, out);
    near(px(back.data, 12, 9, 4), px(reference.data, 12, 9, 4), tol, out);
  }
});
