// Shared by the translation families' flagship tests (cyclegan-scenes, cut-scenes): unpaired procedural day and
// night scenes to train on, held-out scenes rendered both ways to judge by (same seed = same geometry, other
// colours), and the one verdict both must pass. Not a test file itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openFolderDataset, type FolderDataset } from '../data/folder-dataset.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import { OnnxEngine } from '../diff/onnx-engine.js';
import { writeSceneDataset } from '../data/scenes.js';
import { Rng } from '../rng.js';
import type { Batches } from './family.js';

export const SCENE_SIZE = 32;

/** The engines both flagship tests train on, with the same scenes and margins: tfjs (wasm) and the ONNX Runtime engine on the CPU. */
export const SCENE_ENGINES: [string, () => TrainingEngine][] = [
  ['tfjs wasm', () => tfEngine],
  ['the onnx engine', () => new OnnxEngine({ device: 'cpu', threads: 1 })],
];
const TRAIN_SCENES = 40;
const TEST_SCENES = 8;

export interface SceneData {
  /** A fresh unpaired minibatch of one day (a) and one night (b) scene, as trainStep draws them. */
  next: () => Batches;
  /** The held-out day scenes and their true night renders, NHWC. */
  testDay: tf.Tensor4D;
  testNight: tf.Tensor4D;
}

export async function sceneData(dir: string): Promise<SceneData> {
  // Training: day and night from disjoint seeds (unpaired). Test: 8 other seeds, rendered both ways.
  await writeSceneDataset(join(dir, 'train'), { count: TRAIN_SCENES, size: SCENE_SIZE, seedBase: 1, split: 'unpaired' });
  await writeSceneDataset(join(dir, 'test'), { count: TEST_SCENES, size: SCENE_SIZE, seedBase: 100_000, split: 'paired' });
  const open = (sub: string) => openFolderDataset(join(dir, sub), { loadSize: SCENE_SIZE, cropSize: SCENE_SIZE, flip: true, onWarning: () => {} });
  const [day, night, testDay, testNight] = await Promise.all(['train/day', 'train/night', 'test/day', 'test/night'].map(open));
  assert.equal(day.size, TRAIN_SCENES);
  // Paired test folders use the same file names, so sorted paths line up seed by seed.
  const everything = (ds: FolderDataset) => ds.batch(Array.from({ length: ds.size }, (_, i) => i), new Rng(0), false);
  const rng = new Rng(7);
  return {
    next: () => ({ a: day.batch([rng.int(day.size)], rng, true), b: night.batch([rng.int(night.size)], rng, true) }),
    testDay: everything(testDay),
    testNight: everything(testNight),
  };
}

const meanL1 = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(x, y))).dataSync()[0]);

/** Mean L1 of each translated image to the night render of every *other* test scene. */
function l1ToOtherScenes(translated: tf.Tensor4D, nights: tf.Tensor4D): number {
  const n = nights.shape[0];
  let sum = 0;
  for (let shift = 1; shift < n; shift++) {
    const rolled = tf.concat([nights.slice(shift), nights.slice(0, shift)]);
    sum += meanL1(translated, rolled);
    rolled.dispose();
  }
  return sum / (n - 1);
}

/**
 * The verdict: trained translations of the held-out day scenes are less than half as far (L1) from their true
 * nights as the untranslated input and as the untrained generator's output, and nearer their own scene's night
 * than other scenes' nights (a translation, not one night painted over everything). Returns the report line.
 */
export function assertTranslatesTowardNight(data: SceneData, untrained: tf.Tensor4D, translated: tf.Tensor4D): string {
  const untranslatedL1 = meanL1(data.testDay, data.testNight);
  const translatedL1 = meanL1(translated, data.testNight);
  const untrainedL1 = meanL1(untrained, data.testNight);
  const report = `L1 to the true night: day input ${untranslatedL1.toFixed(3)}, untrained G ${untrainedL1.toFixed(3)}, trained G ${translatedL1.toFixed(3)}`;
  assert.ok(translatedL1 < 0.5 * untranslatedL1, report);
  assert.ok(translatedL1 < 0.5 * untrainedL1, `training, not the architecture, did it: ${report}`);
  const otherL1 = l1ToOtherScenes(translated, data.testNight);
  assert.ok(translatedL1 < otherL1, `${report}; to other scenes' nights ${otherL1.toFixed(3)}`);
  return `${report}; trained G to other scenes' nights ${otherL1.toFixed(3)}`;
}
