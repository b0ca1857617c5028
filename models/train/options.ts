// What a person asks for when starting a run (CLI flags, the studio's Train form), and how it becomes the
// fully resolved TrainSettings recorded in run.json. Loop options live here; family options go to
// family.resolveConfig unchanged.
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { FAMILY_IDS, FAMILY_TRAITS, type FamilyId } from '../families/family.js';
import { UsageError, option } from '../errors.js';
import { BACKEND_PREFERENCES } from '../backend/names.js';
import { DEVICE_CHOICES, isDeviceChoice, type DeviceChoice } from '../onnx/devices.js';
import type { BackendPreference, TrainSettings } from './run-dir.js';
import { resolveSchedule } from './schedule.js';
import { MAX_BATCH } from './limits.js';

/** One run as the training loop takes it (CLI flags, or the studio's TrainRequest turned into folders). */
export interface RunRequest {
  family: string;
  data?: string;
  a?: string;
  b?: string;
  /** Image (crop) size; also the family's `size` option. */
  size?: number;
  loadSize?: number;
  iterations?: number;
  epochs?: number;
  batch?: number;
  seed?: number;
  checkpointEvery?: number;
  sampleEvery?: number;
  logEvery?: number;
  backend?: string;
  threads?: number;
  /** Where the onnx backend runs (auto, cpu, webgpu, cuda, dml, coreml). */
  device?: string;
  /** false: no random horizontal flips (`--no-flip`). */
  flip?: boolean;
  lrConstant?: number;
  lrDecay?: number;
  /**
   * Published generator checkpoints the run's generators start from (`--init-generator`): CycleGAN A → B then
   * optionally B → A, CUT its one generator. Paths as given (resolved against the working folder).
   */
  initGenerator?: string[];
  /** Family options (preset, latent, beta, k, lambdaCycle, lambdaIdentity, ngf, ndf, blocks, lr, …; see FAMILY_OPTIONS). */
  familyOptions?: Record<string, unknown>;
}



function checkFamily(family: string): FamilyId {
  if (!(FAMILY_IDS as readonly string[]).includes(family))
    throw new UsageError(`unknown model family "${family}": choose one of ${FAMILY_IDS.join(', ')}`);
  return family as FamilyId;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${option(name)} must be a whole number ≥ ${min} (got ${value})`);
  return value;
}

function batchSize(value: number | undefined, fallback: number): number {
  const batch = positiveInt('batch', value, fallback);
  if (batch > MAX_BATCH) throw new UsageError(`${option('batch')} must be at most ${MAX_BATCH} images per step (got ${batch})`);
  return batch;
}

/** The device: only for the backends that run on ONNX Runtime (onnx, and auto, which may choose it). */
export function checkDevice(device: string | undefined, backend: BackendPreference): DeviceChoice | undefined {
  if (device === undefined) return undefined;
  if (!isDeviceChoice(device)) throw new UsageError(`${option('device')} must be one of ${DEVICE_CHOICES.join(', ')} (got "${device}")`);
  if (backend !== 'onnx' && backend !== 'auto') throw new UsageError(`${option('device')} chooses where ${option('backend', 'onnx')} runs; ${option('backend', backend)} has no devices`);
  return device;
}

export function checkBackend(backend: string | undefined): BackendPreference {
  const value = backend ?? 'auto';
  if (!(BACKEND_PREFERENCES as readonly string[]).includes(value))
    throw new UsageError(`${option('backend')} must be one of ${BACKEND_PREFERENCES.join(', ')} (got "${value}")`);
  return value as BackendPreference;
}

/**
 * The settings that do not need the data; `iterations` is left undefined when epochs were asked for.
 * `size` is the family's resolved image size (the family checks it and owns its default).
 */
export function resolveSettings(
  request: RunRequest,
  size: number,
): { family: FamilyId; settings: Omit<TrainSettings, 'iterations' | 'schedule'>; iterations?: number; epochs?: number } {
  const family = checkFamily(request.family);
  const { defaults } = FAMILY_TRAITS[family];
  const twoFolders = FAMILY_TRAITS[family].datasets === 2;
  if (twoFolders) {
    if (request.data) throw new UsageError(`${family} trains on two folders: give ${option('a', 'DIR')} and ${option('b', 'DIR')} instead of ${option('data')}`);
    if (!request.a || !request.b) throw new UsageError(`${family} needs both ${option('a', 'DIR')} (domain A) and ${option('b', 'DIR')} (domain B)`);
  } else {
    if (request.a || request.b) throw new UsageError(`${family} trains on one folder: give ${option('data', 'DIR')} (${option('a')}/${option('b')} are for cyclegan and cut)`);
    if (!request.data) throw new UsageError(`${family} needs ${option('data', 'DIR')}, a folder of images`);
  }
  // CycleGAN's and CUT's references resize to 286 and crop 256: the same ratio at every size.
  const loadSize = positiveInt('loadSize', request.loadSize, twoFolders ? Math.round((size * 286) / 256) : size, 1);
  if (loadSize < size) throw new UsageError(`${option('loadSize')} (${loadSize}) must be at least ${option('size')} (${size}): images are cropped to ${option('size')}`);
  if (request.iterations !== undefined && request.epochs !== undefined)
    throw new UsageError(`give either ${option('iterations')} or ${option('epochs')}, not both`);
  const iterations = request.iterations === undefined ? undefined : positiveInt('iterations', request.iterations, 0);
  const epochs = request.epochs === undefined ? undefined : positiveInt('epochs', request.epochs, 0);
  const seed = request.seed ?? randomInt(0, 2 ** 31);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`${option('seed')} must be a whole number ≥ 0 (got ${seed})`);
  return {
    family,
    iterations: iterations ?? (epochs === undefined ? defaults.iterations : undefined),
    epochs,
    settings: {
      ...(twoFolders ? { a: resolve(request.a!), b: resolve(request.b!) } : { data: resolve(request.data!) }),
      size,
      loadSize,
      flip: request.flip ?? true,
      batch: batchSize(request.batch, defaults.batch),
      epochs,
      seed,
      checkpointEvery: positiveInt('checkpointEvery', request.checkpointEvery, defaults.checkpointEvery),
      sampleEvery: positiveInt('sampleEvery', request.sampleEvery, defaults.sampleEvery),
      logEvery: positiveInt('logEvery', request.logEvery, 10),
      backend: checkBackend(request.backend),
      threads: request.threads === undefined ? undefined : positiveInt('threads', request.threads, 1),
      ...(request.device === undefined ? {} : { device: checkDevice(request.device, checkBackend(request.backend)) }),
    },
  };
}

/** Completes the settings once the data sizes are known (epochs → iterations) and fixes the schedule. */
export function finishSettings(
  family: FamilyId,
  partial: Omit<TrainSettings, 'iterations' | 'schedule'>,
  iterations: number | undefined,
  datasetSizes: number[],
  lr: { constant?: number; decay?: number },
): TrainSettings {
  // An epoch is one pass over the larger folder, as in the CycleGAN reference.
  const total = iterations ?? Math.ceil(((partial.epochs ?? 1) * Math.max(...datasetSizes)) / partial.batch);
  return { ...partial, iterations: total, schedule: resolveSchedule(family, total, lr) };
}
