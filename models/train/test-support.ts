// Shared helpers for the training tests: tiny scene datasets, tiny configs, and comparing two runs' weights.
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSceneDataset } from '../data/scenes.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { runPaths } from './run-dir.js';

export async function makeTempDir(t: { after: (fn: () => Promise<void>) => void }, prefix = 'darkroom-train-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** dir/day and dir/night with `count` small scene images each. */
export async function makeScenes(dir: string, count: number, size: number): Promise<{ day: string; night: string }> {
  await writeSceneDataset(dir, { count, size });
  return { day: join(dir, 'day'), night: join(dir, 'night') };
}

/** A very small AE that trains at tens of iterations per second on the cpu backend. */
export const TINY_AE = { size: 16, batch: 2, familyOptions: { latent: 8, nf: 4 } };
export const TINY_GAN = { size: 16, batch: 2, familyOptions: { latent: 8, ngf: 4, ndf: 4 } };
export const TINY_CYCLEGAN = { size: 32, batch: 1, familyOptions: { ngf: 4, ndf: 4, blocks: 1, poolSize: 2 } };

/**
 * The largest absolute difference between the tensors of two runs' newest checkpoints (weights, optimizer
 * moments, pools…), after checking both hold the same names and shapes at the same iteration.
 */
export async function checkpointDifference(runA: string, runB: string): Promise<{ iteration: number; maxDiff: number; tensors: number }> {
  const a = await loadLatestCheckpoint(runPaths(runA).checkpoints);
  const b = await loadLatestCheckpoint(runPaths(runB).checkpoints);
  if (!a || !b) throw new Error('both runs need a checkpoint');
  try {
    if (a.iteration !== b.iteration) throw new Error(`checkpoints at different iterations: ${a.iteration} vs ${b.iteration}`);
    const names = Object.keys(a.tensors).sort();
    if (names.join() !== Object.keys(b.tensors).sort().join()) throw new Error('checkpoints hold different tensors');
    let maxDiff = 0;
    for (const name of names) {
      const x = await a.tensors[name].data();
      const y = await b.tensors[name].data();
      if (x.length !== y.length) throw new Error(`${name}: different sizes`);
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Number(x[i]) - Number(y[i])));
    }
    return { iteration: a.iteration, maxDiff, tensors: names.length };
  } finally {
    tf.dispose([Object.values(a.tensors), Object.values(b.tensors)]);
  }
}
