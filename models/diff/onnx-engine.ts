// The ONNX Runtime training engine: each phase of a family becomes one ONNX graph per input shape — forward,
// losses, backward (vjp.ts) and the Adam update — run by onnxruntime-node on the chosen device. Weights and
// moments stay in the family's tf.Variables (on tfjs's cpu backend, whose data is plain memory): they are fed in
// and the updated values taken back every step.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Adam } from '../train/adam.js';
import { openTrainingSession, type DeviceChoice, type DeviceUse, type TrainingSession } from '../onnx/runtime.js';
import { Graph, type Sym } from './graph.js';
import { GraphOps } from './graph-ops.js';
import type { Phase } from './objective.js';
import type { PhaseStep, TrainingEngine } from './engine.js';
import { toOnnx } from './to-onnx.js';
import { checkBuffersFit, checkGraphFits, cpuTrainingBudget, graphMemory } from './graph-memory.js';
import { gradients } from './vjp.js';

interface CompiledPhase {
  session: TrainingSession;
  /** Weight feeds: graph input name → variable. */
  weights: { name: string; variable: tf.Variable }[];
  /** Trained weights: the slot's variables and the graph names of their moments and updated values. */
  updates: { key: string; slot: ReturnType<Adam['slots']>[number] }[];
  terms: string[];
  outputs: string[];
  /** The graph's input names (a phase that trains nothing has no Adam factors to feed). */
  fed: Set<string>;
  /** Its inputs' and outputs' names and shapes. */
  io: Pick<ReturnType<typeof toOnnx>, 'inputs' | 'outputs'>;
}

export interface OnnxEngineOptions {
  device: DeviceChoice;
  threads: number;
  /** Told once per compiled graph, e.g. that a provider left it to the CPU. */
  onWarning?: (message: string) => void;
  /** Bytes a graph on the CPU may need (default: cpuTrainingBudget); one that needs more is refused. */
  memoryBudget?: number;
  /** The largest buffer the device holds (default: what the device reports; none on the CPU). */
  maxBufferBytes?: number;
  /** Profile every graph's runs into this folder (ONNX Runtime's JSON: each node's provider and time). */
  profileDir?: string;
}

/** The graph input an objective's input is fed to: images (NHWC, transposed inside), index lists, other values. */
const inputName = (name: string, t: tf.Tensor) => `${t.rank === 4 ? 'image' : t.dtype === 'int32' ? 'index' : 'value'}/${name}`;

export class OnnxEngine implements TrainingEngine {
  readonly name = 'onnx' as const;
  private readonly compiled = new Map<string, Promise<CompiledPhase>>();
  /** Where the last compiled graph runs. */
  device: DeviceUse | null = null;

  constructor(private readonly options: OnnxEngineOptions) {}

  async step(phase: Phase, adam: Adam, inputs: Record<string, tf.Tensor>, lrScale: number): Promise<PhaseStep> {
    const key = `${phase.name}:${Object.entries(inputs).map(([k, t]) => `${k}=${t.shape.join('x')}`).join(',')}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = this.compile(phase, adam, inputs, key);
      this.compiled.set(key, compiled);
      compiled.catch(() => this.compiled.delete(key));
    }
    const c = await compiled;
    const { lrOverC1, c2 } = adam.nextStep(lrScale);
    const feeds: Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }> = {
      'adam/lr_c1': { data: Float32Array.of(lrOverC1), dims: [] },
      'adam/c2': { data: Float32Array.of(c2), dims: [] },
    };
    const feed = (name: string, t: tf.Tensor) => (feeds[name] = { data: t.dataSync() as Float32Array, dims: t.shape });
    for (const [name, t] of Object.entries(inputs)) {
      if (t.dtype === 'int32') feeds[inputName(name, t)] = { data: BigInt64Array.from(t.dataSync() as Int32Array, (i) => BigInt(i)), dims: [t.size, 1] };
      else feed(inputName(name, t), t);
    }
    for (const { name, variable } of c.weights) feed(name, variable);
    for (const { key: k, slot } of c.updates) {
      feed(`m/${k}`, slot.m);
      feed(`v/${k}`, slot.v);
    }
    for (const name of Object.keys(feeds)) if (!c.fed.has(name)) delete feeds[name];
    const result = await c.session.run(feeds);
    const take = (name: string) => {
      const r = result[name];
      return tf.tensor(r.data, r.dims);
    };
    for (const { key: k, slot } of c.updates) {
      for (const [variable, name] of [[slot.param, `new/${k}`], [slot.m, `newm/${k}`], [slot.v, `newv/${k}`]] as const) {
        const t = take(name);
        variable.assign(t);
        t.dispose();
      }
    }
    const losses = Object.fromEntries(c.terms.map((t) => [t, tf.scalar(result[`loss/${t}`].data[0])]));
    const outputs = Object.fromEntries(c.outputs.map((o) => [o, take(`out/${o}`)]));
    return { losses, outputs };
  }

  private async compile(phase: Phase, adam: Adam, inputs: Record<string, tf.Tensor>, key: string): Promise<CompiledPhase> {
    const g = new Graph();
    const ops = new GraphOps(g);
    // Images arrive NHWC (the data feed's layout) and leave NHWC; the graph works in NCHW.
    const given: Record<string, Sym> = {};
    for (const [name, t] of Object.entries(inputs)) {
      const feedName = inputName(name, t);
      if (t.dtype === 'int32') given[name] = g.indexInput(feedName, [t.size, 1]); // a column (graph.ts gatherRows)
      else given[name] = t.rank === 4 ? g.transpose(g.input(feedName, t.shape), [0, 3, 1, 2]) : g.input(feedName, t.shape);
    }
    const fixed = phase.fixed?.(ops, given) ?? {};
    for (const [name, s] of Object.entries(fixed)) given[name] = g.detach(s);
    const r = phase.objective(ops, given);
    const termNames = Object.keys(r.terms);
    const total = termNames.map((t) => g.scale(r.terms[t], r.weights?.[t] ?? 1)).reduce((a, b) => g.addT(a, b));
    const slots = new Map(adam.slots().map((s) => [s.param, s]));
    const trained = [...ops.params.entries()].filter(([, p]) => phase.trains.includes(p.net));
    const grads = gradients(g, total, trained.map(([, p]) => p.sym));

    const outputs: Record<string, Sym> = {};
    termNames.forEach((t) => (outputs[`loss/${t}`] = r.terms[t]));
    for (const [name, s] of Object.entries(r.outputs)) outputs[`out/${name}`] = s.shape.length === 4 ? g.transpose(s, [0, 2, 3, 1]) : s;
    const lrOverC1 = g.input('adam/lr_c1', []);
    const c2 = g.input('adam/c2', []);
    const updates: CompiledPhase['updates'] = [];
    trained.forEach(([name, p], i) => {
      const grad = grads[i];
      // No gradient (a bias an instance norm cancels): Adam leaves the weight and its moments alone, as tfjs's does.
      if (grad === null) return;
      const slot = slots.get(p.net.params.get(p.param)!);
      if (!slot) throw new Error(`phase ${phase.name}: ${name} is trained but not in its optimizer`);
      const m = g.addT(g.scale(g.input(`m/${name}`, p.sym.shape), adam.beta1), g.scale(grad, 1 - adam.beta1));
      const v = g.addT(g.scale(g.input(`v/${name}`, p.sym.shape), adam.beta2), g.scale(g.mul(grad, grad), 1 - adam.beta2));
      const step = g.div(g.mul(m, lrOverC1), g.addT(g.unary('sqrt', g.div(v, c2)), g.scalar(adam.epsilon)));
      outputs[`new/${name}`] = g.sub(p.sym, step);
      outputs[`newm/${name}`] = m;
      outputs[`newv/${name}`] = v;
      updates.push({ key: name, slot });
    });
    const lowered = toOnnx(g, outputs, `train_${phase.name}`, { threads: this.options.threads });
    const fed = new Set(lowered.inputs.map((i) => i.name));
    const weights = [...ops.params.entries()].filter(([name]) => fed.has(name)).map(([name, p]) => ({ name, variable: p.net.params.get(p.param)! }));
    const profileTo = this.options.profileDir ? join(this.options.profileDir, phase.name) : undefined;
    const session = await openTrainingSession(lowered.bytes, { device: this.options.device, threads: this.options.threads, label: key, profileTo });
    const image = Object.values(inputs).find((t) => t.rank === 4);
    const shape = { phase: phase.name, batch: image?.shape[0] ?? 1, size: image?.shape[1] ?? 0 };
    const bufferLimit = this.options.maxBufferBytes ?? session.device.maxBufferBytes;
    try {
      const memory = graphMemory(g, Object.values(outputs));
      if (session.device.name === 'cpu') checkGraphFits(memory, this.options.memoryBudget ?? cpuTrainingBudget(), { ...shape, where: 'the CPU' });
      if (bufferLimit !== null) checkBuffersFit(memory, bufferLimit, { ...shape, where: session.device.name === 'cpu' ? 'the CPU' : session.device.detail });
    } catch (error) {
      await session.release();
      throw error;
    }
    if (session.device.fallback) this.options.onWarning?.(session.device.fallback);
    this.device = session.device;
    return { session, weights, updates, terms: termNames, outputs: Object.keys(r.outputs), fed, io: { inputs: lowered.inputs, outputs: lowered.outputs } };
  }

  /** Each compiled graph's inputs and outputs, by its key (phase and input shapes): what a step moves in and out. */
  async graphIO(): Promise<Record<string, CompiledPhase['io']>> {
    const out: Record<string, CompiledPhase['io']> = {};
    for (const [key, c] of this.compiled) out[key] = (await c).io;
    return out;
  }

  /** The phases compiled so far, by name (one graph each per input shape). */
  get compiledPhases(): string[] {
    return [...new Set([...this.compiled.keys()].map((key) => key.split(':')[0]))];
  }

  /** Ends profiling (profileDir) and gives each graph's profile file by phase name. */
  async endProfiling(): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const [key, c] of this.compiled) {
      const file = (await c).session.endProfiling();
      if (file) files[key.split(':')[0]] = file;
    }
    return files;
  }

  async dispose(): Promise<void> {
    const all = [...this.compiled.values()];
    this.compiled.clear();
    for (const c of all) await (await c.catch(() => null))?.session.release();
  }
}
