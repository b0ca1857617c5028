// Batch conversion of photos and folders through an image-to-image ONNX model: the service behind
// `darkroom convert` and the studio's Batch view (studio-batch.ts); no Electron here.
//
// A three-stage pipeline keeps the model busy: while image i is translated, image i + 1 is decoded and image
// i − 1 encoded and written (at most one of each in flight, so memory stays at about three photos); when the
// model already uses every core, decoding and encoding run side by side between two runs instead. Every
// output is written atomically and existing outputs are skipped, so a batch killed at any moment resumes by
// running it again; one bad file never stops the batch, it is reported by name with the reason, in the events
// and in darkroom-report.json in the output folder.
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../../models/errors.js';
import { FORMAT_CHOICES, ImageReadError, readPhoto, writePhoto, type FormatChoice, type Photo } from '../../models/data/image-io.js';
import { openModel, type DeviceChoice, type DeviceUse, type OnnxModel } from '../../models/onnx/runtime.js';
import { MIN_TILE, createTranslator, resolveRange, type Translator } from '../../models/onnx/translate.js';
import { writeFailureReason, writeJsonAtomic } from '../../models/atomic-fs.js';
import { createFolderInside, createOutputFolder } from '../../models/output-folder.js';
import { planBatch, removeStaleTemporaries, type PlannedImage, type JobStatus } from './batch-plan.js';
import type { BatchCounts, BatchEvent, BatchItemStatus } from '../api.js';

export { outputNameFor, type PlannedImage } from './batch-plan.js';

export const REPORT_NAME = 'darkroom-report.json';
/** The report is rewritten at most this often while a batch runs (and always at the end). */
const REPORT_INTERVAL_MS = 1000;

export interface BatchOptions {
  /** An .onnx file, or a model the caller opened (and keeps). */
  model: string | OnnxModel;
  /** What messages call a `model` file that is Darkroom's copy of the user's (OnnxModel.label); default its path. */
  modelLabel?: string;
  /** Photos and folders. */
  inputs: string[];
  out: string;
  recursive?: boolean;
  format?: FormatChoice;
  /** 1–100 for jpg, webp and avif. */
  quality?: number;
  tile?: number;
  overwrite?: boolean;
  /** '-1,1' or '0,1' for models whose metadata does not say. */
  range?: string;
  /** ONNX Runtime threads when `model` is a file (default: all cores). */
  threads?: number;
  /** Where to run `model` when it is a file (default 'auto': the best device found, see runtime.ts). */
  device?: DeviceChoice;
  /** Aborting stops the batch after the image being translated. */
  signal?: AbortSignal;
  onEvent?: (event: BatchEvent) => void;
}

export type { BatchCounts, BatchEvent, BatchItemStatus };

export interface BatchReport {
  format: 'darkroom-batch-report';
  version: 1;
  status: 'running' | 'finished' | 'cancelled';
  model: string;
  inputs: string[];
  out: string;
  options: { recursive: boolean; format: FormatChoice; quality: number | null; tile: number | null; overwrite: boolean; range: string };
  /** Where the photos ran (the last one's device: a model its device rejected moves to the CPU, with the reason). */
  device: DeviceUse;
  startedAt: string;
  updatedAt: string;
  elapsedMs: number;
  counts: BatchCounts;
  items: { input: string; output: string; status: JobStatus; reason?: string; ms?: number }[];
}

export interface BatchResult {
  report: BatchReport;
  reportPath: string;
}

/** Converts every image of `inputs` into `out`. Throws UsageError (or OnnxModelError) before any work for bad options. */
export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  checkOptions(o);
  const ownModel = typeof o.model === 'string';
  const model = typeof o.model === 'string' ? await openModel(o.model, { threads: o.threads, device: o.device, label: o.modelLabel }) : o.model;
  let translator: Translator | undefined;
  try {
    translator = await createTranslator(model);
    const range = resolveRange(model, translator.info, o.range);
    const jobs = await planBatch({ inputs: o.inputs, out: o.out, recursive: o.recursive ?? false, format: o.format ?? 'same', overwrite: o.overwrite ?? false });
    return await new BatchRun(o, model, translator, `${range[0]},${range[1]}`, jobs).run();
  } finally {
    await translator?.dispose();
    if (ownModel) await model.dispose();
  }
}

function checkOptions(o: BatchOptions): void {
  if (o.format !== undefined && !FORMAT_CHOICES.includes(o.format))
    throw new UsageError(`--format must be one of ${FORMAT_CHOICES.join(', ')} (got "${o.format}")`);
  if (o.quality !== undefined && !(Number.isInteger(o.quality) && o.quality >= 1 && o.quality <= 100))
    throw new UsageError(`--quality must be a whole number from 1 to 100 (got ${o.quality})`);
  if (o.tile !== undefined && !(Number.isInteger(o.tile) && o.tile >= MIN_TILE))
    throw new UsageError(`--tile must be a whole number of at least ${MIN_TILE} pixels (got ${o.tile})`);
}

/** Why an item failed, in words for the report (the file is named beside it). */
function reasonOf(error: unknown): string {
  if (error instanceof ImageReadError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

class BatchRun {
  private readonly startedAt = new Date();
  private readonly reportPath: string;
  private readonly timings = new Map<PlannedImage, number>();
  private conversionStart = 0;
  /** Photos converted by this run: the rate and ETA count these only. */
  private converted = 0;
  /** Items not finished yet. */
  private remaining: number;
  private reportWritten = 0;
  private reportChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: BatchOptions,
    private readonly model: OnnxModel,
    private readonly translator: Translator,
    private readonly range: string,
    private readonly jobs: PlannedImage[],
  ) {
    this.reportPath = join(resolve(o.out), REPORT_NAME);
    this.remaining = jobs.filter((j) => j.status === 'pending').length;
  }

  async run(): Promise<BatchResult> {
    const out = resolve(this.o.out);
    await createOutputFolder(out, 'the output folder');
    await removeStaleTemporaries([out, ...this.jobs.map((j) => dirname(j.output))], out);
    const pending = this.jobs.filter((j) => j.status === 'pending');
    // A range read from the graph rather than the metadata is said once (with --range there is nothing to say).
    const rangeNote = this.o.range === undefined ? this.translator.info.rangeNote : null;
    this.emit({ type: 'started', total: this.jobs.length, toConvert: pending.length, model: this.model.source, inputs: this.o.inputs.map((i) => resolve(i)), out, device: this.translator.device, ...(rangeNote !== null && { rangeNote }) });
    for (const job of this.jobs) if (job.status !== 'pending') this.emitItem(job);
    await this.writeReport('running', true);

    this.conversionStart = performance.now();
    const decode = async (job: PlannedImage): Promise<{ job: PlannedImage; photo?: Photo; error?: string }> => {
      try {
        return { job, photo: await readPhoto(job.input) };
      } catch (error) {
        return { job, error: reasonOf(error) };
      }
    };
    // Decoding and encoding overlap the model's run when it leaves cores free (a GPU, or fewer threads than
    // cores). When ONNX Runtime already uses every core, they run between two runs instead, side by side: work
    // slipped under a run that fills all cores delays it by more than its own CPU time, as the run's threads wait
    // for whichever of them lost its core (50 photos on 2 cores: about 87 % of the bare forward rate overlapped).
    const overlap = this.model.device.name !== 'cpu' || this.model.threads < availableParallelism();
    let next = pending.length > 0 ? decode(pending[0]) : null;
    let encoding: Promise<void> = Promise.resolve();
    for (let i = 0; next && !this.o.signal?.aborted; i++) {
      const current = await next;
      if (this.o.signal?.aborted) break; // stop before starting another image
      const following = i + 1 < pending.length ? pending[i + 1] : null;
      next = overlap || !current.photo ? following && decode(following) : null;
      if (!current.photo) {
        this.finish(current.job, 'failed', current.error);
        continue;
      }
      this.emitProgress(current.job.input);
      const started = performance.now();
      let pixels: Uint8Array | Uint16Array | null = null;
      try {
        pixels = await this.translator.translate(current.photo, { tile: this.o.tile, range: this.range });
        this.timings.set(current.job, performance.now() - started);
      } catch (error) {
        this.finish(current.job, 'failed', reasonOf(error));
      }
      await encoding; // at most one encode in flight
      if (pixels) encoding = this.encode(current.job, current.photo, pixels);
      if (!overlap) {
        next = following && decode(following);
        await encoding;
      }
    }
    await encoding;
    await next; // a decode started before the stop: let it settle (it never rejects)

    const cancelled = this.jobs.some((j) => j.status === 'pending');
    const report = await this.writeReport(cancelled ? 'cancelled' : 'finished', true);
    this.emit({
      type: 'finished',
      report: this.reportPath,
      counts: report.counts,
      failed: this.jobs.filter((j) => j.status === 'failed').map((j) => ({ path: j.input, reason: j.reason ?? 'unknown' })),
      cancelled,
      elapsedMs: report.elapsedMs,
      device: report.device,
    });
    return { report, reportPath: this.reportPath };
  }

  private async encode(job: PlannedImage, photo: Photo, pixels: Uint8Array | Uint16Array): Promise<void> {
    try {
      // Its folder is made, and written into, by real path inside the output folder: a link never leads it out.
      const folder = await createFolderInside(dirname(job.output), this.o.out, 'the output folder');
      await writePhoto(join(folder, basename(job.output)), pixels, photo, { format: job.format, quality: this.o.quality, overwrite: this.o.overwrite ?? false, inputPath: job.input });
      this.finish(job, 'done');
    } catch (error) {
      this.finish(job, 'failed', reasonOf(error));
    }
  }

  private finish(job: PlannedImage, status: BatchItemStatus, reason?: string): void {
    job.status = status;
    if (reason !== undefined) job.reason = reason;
    if (status === 'done') this.converted++;
    this.remaining--;
    this.emitItem(job);
    this.emitProgress(null);
    void this.writeReport('running', false);
  }

  private emitItem(job: PlannedImage): void {
    this.emit({ type: 'item', path: job.input, output: job.output, status: job.status as BatchItemStatus, ...(job.reason !== undefined && { reason: job.reason }) });
  }

  private emitProgress(current: string | null): void {
    const minutes = (performance.now() - this.conversionStart) / 60000;
    const imagesPerMinute = this.converted > 0 && minutes > 0 ? this.converted / minutes : 0;
    const remaining = this.remaining;
    this.emit({
      type: 'progress',
      done: this.jobs.length - remaining,
      total: this.jobs.length,
      counts: this.counts(),
      current,
      imagesPerMinute,
      etaSeconds: imagesPerMinute > 0 ? (remaining / imagesPerMinute) * 60 : remaining === 0 ? 0 : null,
    });
  }

  private emit(event: BatchEvent): void {
    this.o.onEvent?.(event);
  }

  /** Writes the report atomically; while running, at most once a REPORT_INTERVAL_MS unless `force`. */
  private writeReport(status: BatchReport['status'], force: true): Promise<BatchReport>;
  private writeReport(status: BatchReport['status'], force: false): Promise<void>;
  private writeReport(status: BatchReport['status'], force: boolean): Promise<BatchReport | void> {
    const now = Date.now();
    if (!force && now - this.reportWritten < REPORT_INTERVAL_MS) return Promise.resolve();
    this.reportWritten = now;
    const report = this.report(status, now);
    const write = this.reportChain.then(() =>
      writeJsonAtomic(this.reportPath, report).catch((error: unknown) => {
        const reason = writeFailureReason(error) ?? (error as Error).message;
        throw new Error(`Could not write the batch report ${this.reportPath}: ${reason}, then run the same conversion again (images already converted are skipped)`, { cause: error });
      }),
    );
    this.reportChain = write.catch(() => {}); // a failed interim write is retried by the next one
    return force ? write.then(() => report) : Promise.resolve();
  }

  private counts(): BatchCounts {
    const count = (s: JobStatus) => this.jobs.filter((j) => j.status === s).length;
    return { total: this.jobs.length, done: count('done'), skipped: count('skipped'), failed: count('failed'), pending: count('pending') };
  }

  private report(status: BatchReport['status'], now: number): BatchReport {
    return {
      format: 'darkroom-batch-report',
      version: 1,
      status,
      model: this.model.source,
      inputs: this.o.inputs.map((i) => resolve(i)),
      out: resolve(this.o.out),
      options: {
        recursive: this.o.recursive ?? false,
        format: this.o.format ?? 'same',
        quality: this.o.quality ?? null,
        tile: this.o.tile ?? null,
        overwrite: this.o.overwrite ?? false,
        range: this.range,
      },
      device: this.translator.device,
      startedAt: this.startedAt.toISOString(),
      updatedAt: new Date(now).toISOString(),
      elapsedMs: now - this.startedAt.getTime(),
      counts: this.counts(),
      items: this.jobs.map((j) => ({
        input: j.input,
        output: j.output,
        status: j.status,
        ...(j.reason !== undefined && { reason: j.reason }),
        ...(this.timings.has(j) && { ms: Math.round(this.timings.get(j)!) }),
      })),
    };
  }
}
