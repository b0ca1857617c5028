// One photo at full resolution for the studio's Convert view: a file path or dropped bytes in, a file out in
// the chosen format, with the source's EXIF, ICC profile and alpha carried over. Reuses translate.ts, so a
// photo converted here is the same as one converted by a batch.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { ImageReadError, readPhoto, writePhoto, type FormatChoice, type OutputFormat } from '../../models/data/image-io.js';
import { openModel, type DeviceChoice, type DeviceUse, type OnnxModel } from '../../models/onnx/runtime.js';
import { createTranslator, type TranslateOptions, type Translator } from '../../models/onnx/translate.js';
import { formatOfExtension } from './batch-plan.js';
import { createOutputFolder } from '../../models/output-folder.js';

export type PhotoSource = string | { name: string; bytes: Uint8Array };

export interface ConvertOptions {
  /** Default: the output file's extension, or the input's format when the extension says nothing. */
  format?: FormatChoice;
  /** 1–100 for jpg, webp and avif. */
  quality?: number;
  tile?: number;
  /** '-1,1' or '0,1' for models whose metadata does not say. */
  range?: string;
  /** Replace an existing output (default true: the studio asks before it gets here). */
  overwrite?: boolean;
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
  onPlan?: TranslateOptions['onPlan'];
}

/** A photo file written: where, in which format and depth, at which size. */
export interface EncodedPhoto {
  output: string;
  format: OutputFormat;
  bitDepth: 8 | 16;
  width: number;
  height: number;
}

export interface ConvertedPhoto extends EncodedPhoto {
  elapsedMs: number;
  /** Where the photo ran. */
  device: DeviceUse;
}

/** A model kept open for several conversions (the studio converts photo after photo with one model). */
export interface Converter {
  readonly model: OnnxModel;
  convert(input: PhotoSource, output: string, options?: ConvertOptions): Promise<ConvertedPhoto>;
  dispose(): Promise<void>;
}

async function openConverter(model: string | OnnxModel, options: { threads?: number; device?: DeviceChoice; label?: string } = {}): Promise<Converter> {
  const owned = typeof model === 'string';
  const opened = typeof model === 'string' ? await openModel(model, options) : model;
  let translator: Translator;
  try {
    translator = await createTranslator(opened);
  } catch (error) {
    if (owned) await opened.dispose();
    throw error;
  }
  return {
    model: opened,
    convert: (input, output, o = {}) => convertWith(translator, input, output, o),
    async dispose() {
      await translator.dispose();
      if (owned) await opened.dispose();
    },
  };
}

/** Opens `model`, converts one photo, and closes the model again. */
/** `label`: what messages call a `model` file that is Darkroom's copy of the user's (OnnxModel.label). */
export async function convertPhoto(model: string | OnnxModel, input: PhotoSource, output: string, options: ConvertOptions & { device?: DeviceChoice; label?: string } = {}): Promise<ConvertedPhoto> {
  const converter = await openConverter(model, { device: options.device, label: options.label });
  try {
    return await converter.convert(input, output, options);
  } finally {
    await converter.dispose();
  }
}

async function convertWith(translator: Translator, input: PhotoSource, output: string, o: ConvertOptions): Promise<ConvertedPhoto> {
  if (o.quality !== undefined && !(Number.isInteger(o.quality) && o.quality >= 1 && o.quality <= 100))
    throw new UsageError(`quality must be a whole number from 1 to 100 (got ${o.quality})`);
  const started = performance.now();
  const target = resolve(output);
  const format = o.format ?? formatOfExtension(target) ?? 'same';
  return withInputFile(input, async (path) => {
    const photo = await readPhoto(path);
    const pixels = await translator.translate(photo, { tile: o.tile, range: o.range, signal: o.signal, onTile: o.onTile, onPlan: o.onPlan });
    await createOutputFolder(dirname(target), 'the output folder');
    const written = await writePhoto(target, pixels, photo, { format, quality: o.quality, overwrite: o.overwrite ?? true, inputPath: path });
    return { output: target, ...written, width: photo.width, height: photo.height, elapsedMs: performance.now() - started, device: translator.device };
  });
}

/**
 * Writes a converted photo (`converted`, the PNG the conversion wrote with the source's profile, EXIF and alpha)
 * again as `format`, without running the model: the studio's Save writes what the view showed. A PNG is copied as
 * it is; other formats get the same pixels through the same encoder as a conversion (a photo with its own colour
 * profile passes through that profile once more, within a level).
 */
export async function encodeConverted(converted: string, output: string, o: { format: OutputFormat; quality?: number }): Promise<EncodedPhoto> {
  const target = resolve(output);
  const photo = await readPhoto(converted);
  let written: { format: OutputFormat; bitDepth: 8 | 16 };
  if (o.format === 'png') {
    await fs.copyFile(converted, target);
    written = { format: 'png', bitDepth: photo.bitDepth };
  } else written = await writePhoto(target, photo.pixels, photo, { format: o.format, quality: o.quality, overwrite: true });
  return { output: target, ...written, width: photo.width, height: photo.height };
}

/** Dropped bytes become a file in a private temporary folder for the duration of `use` (image-io reads files). */
async function withInputFile<T>(input: PhotoSource, use: (path: string) => Promise<T>): Promise<T> {
  if (typeof input === 'string') return use(resolve(input));
  const dir = await fs.mkdtemp(join(tmpdir(), 'darkroom-convert-'));
  try {
    const path = join(dir, basename(input.name) || 'photo');
    await fs.writeFile(path, input.bytes);
    return await use(path);
  } catch (error) {
    // Name the dropped file, not our temporary copy of it.
    if (error instanceof ImageReadError) throw new ImageReadError(input.name, error.code, error.reason, { cause: error });
    throw error;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
