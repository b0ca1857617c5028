// Opening a trained run for use (export, sampling, the studio's preview): its run.json, its family and
// config, and the model with the weights of its newest good checkpoint.
import * as tf from '@tensorflow/tfjs';
import type { FamilyModel, ModelFamily } from '../families/family.js';
import { getFamily } from '../families/index.js';
import { UsageError, option, remedy } from '../errors.js';
import { Rng } from '../rng.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { readRunInfo, runPaths, type RunInfo } from './run-dir.js';
import type { CheckpointJson } from './setup.js';

export interface LoadedRun {
  runDir: string;
  runInfo: RunInfo;
  family: ModelFamily;
  /** The family's resolved config, as recorded in run.json. */
  config: Record<string, unknown>;
  /** The model at the checkpoint; the caller disposes it. */
  model: FamilyModel;
  /** The checkpoint's iteration (may be behind runInfo.iteration while the run is training). */
  iteration: number;
  checkpointPath: string;
}

/**
 * Loads the model of a run from its newest checkpoint that verifies. Uses the active tfjs backend (call
 * initBackend first to choose one). Throws UsageError when RUN is not a run or has no usable checkpoint.
 */
export async function loadRunModel(runDir: string): Promise<LoadedRun> {
  const runInfo = await readRunInfo(runDir);
  const family = getFamily(runInfo.family);
  const checkpoint = await loadLatestCheckpoint(runPaths(runDir).checkpoints);
  if (!checkpoint) {
    throw new UsageError(
      `${runDir} has no usable checkpoint yet: ` +
        `train it until its first checkpoint (${option('checkpointEvery')}), or stop it with ${remedy({ action: 'stop' })}, which saves one.`,
    );
  }
  // The initial weights are overwritten by the checkpoint; the seed only makes creation deterministic.
  const model = family.create(runInfo.config, new Rng(runInfo.train.seed));
  try {
    const json = checkpoint.json as unknown as CheckpointJson;
    model.setState({ tensors: checkpoint.tensors, json: json.family });
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(checkpoint.tensors));
  }
  return { runDir: runPaths(runDir).root, runInfo, family, config: runInfo.config, model, iteration: checkpoint.iteration, checkpointPath: checkpoint.path };
}
