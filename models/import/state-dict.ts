// Finds the state dict in what a checkpoint holds: the tensors at the top level, or nested under a common key
// (a training script's {'state_dict': …, 'epoch': …}, CycleGAN's {'G_A': …, 'G_B': …}), and takes off the prefix
// nn.DataParallel adds (`module.`) or one left by saving a wrapper's submodule.
import { PyDict, type PyValue } from './pickle.js';
import { CheckpointError } from './checkpoint-error.js';
import { option } from '../errors.js';
import type { CheckpointTensor } from './tensor.js';

export interface StateDict {
  tensors: Map<string, CheckpointTensor>;
  /** The key the state dict was nested under, or null at the top level. */
  nestedKey: string | null;
}

/** Keys a generator's state dict is commonly nested under, in the order they are preferred. */
export const GENERATOR_KEYS = ['state_dict', 'model', 'netG', 'net_G', 'G', 'generator', 'netG_A', 'G_A', 'net_G_A', 'netG_B', 'G_B', 'net_G_B', 'params', 'weights'];

const isTensor = (v: unknown): v is CheckpointTensor => typeof v === 'object' && v !== null && 'toFloat32' in v && 'shape' in v;

/** The string-keyed tensors of a dict-like value, or null when it holds anything else than tensors. */
function tensorsOf(value: PyValue | Map<string, CheckpointTensor>): Map<string, CheckpointTensor> | null {
  const entries = value instanceof PyDict ? value.entries : value instanceof Map ? value : null;
  if (!entries || entries.size === 0) return null;
  const tensors = new Map<string, CheckpointTensor>();
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !isTensor(v)) return null;
    tensors.set(k, v);
  }
  return tensors;
}

export function findStateDict(root: PyValue | Map<string, CheckpointTensor>, label: string, key?: string): StateDict {
  if (key !== undefined) {
    const nested = root instanceof PyDict ? root.entries.get(key) : undefined;
    const tensors = nested === undefined ? null : tensorsOf(nested);
    if (!tensors) throw new CheckpointError(`${label} has no state dict under the key "${key}"${describeKeys(root)}`);
    return { tensors: stripPrefixes(tensors), nestedKey: key };
  }
  const top = tensorsOf(root);
  if (top) return splitNestedPrefix(stripPrefixes(top));
  if (root instanceof PyDict) {
    const candidates = [...root.entries].filter(([k, v]) => typeof k === 'string' && tensorsOf(v) !== null).map(([k]) => k as string);
    const chosen = GENERATOR_KEYS.find((k) => candidates.includes(k)) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (chosen !== undefined) return { tensors: stripPrefixes(tensorsOf(root.entries.get(chosen)!)!), nestedKey: chosen };
    if (candidates.length > 1)
      throw new CheckpointError(`${label} holds several state dicts (${candidates.join(', ')}); say which generator to import with ${option('key', 'NAME')}`);
  }
  throw new CheckpointError(`${label} holds no state dict (a dict of named tensors)${describeKeys(root)}. Save the generator's model.state_dict() with torch.save`);
}

function describeKeys(root: PyValue | Map<string, CheckpointTensor>): string {
  if (!(root instanceof PyDict)) return '';
  const keys = [...root.entries.keys()].filter((k) => typeof k === 'string') as string[];
  return keys.length > 0 ? `; its top-level keys are ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}` : '';
}

/** Takes off DataParallel's `module.` while every key carries it (a DataParallel of a DataParallel carries two). */
function stripPrefixes(tensors: Map<string, CheckpointTensor>): Map<string, CheckpointTensor> {
  while ([...tensors.keys()].every((k) => k.startsWith('module.'))) tensors = new Map([...tensors].map(([k, v]) => [k.slice('module.'.length), v]));
  return tensors;
}

/** A flat state dict whose every key starts with one generator key and a dot (safetensors re-uploads: `netG.model.1.weight`). */
function splitNestedPrefix(tensors: Map<string, CheckpointTensor>): StateDict {
  const first = [...tensors.keys()][0].split('.')[0];
  // Not `model`: the generators' own keys start with it (their layers are a Sequential named model).
  if (first !== 'model' && GENERATOR_KEYS.includes(first) && [...tensors.keys()].every((k) => k.startsWith(`${first}.`)))
    return { tensors: stripPrefixes(new Map([...tensors].map(([k, v]) => [k.slice(first.length + 1), v]))), nestedKey: first };
  return { tensors, nestedKey: null };
}
