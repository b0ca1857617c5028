// CycleGAN (Zhu et al. 2017): unpaired translation between image domains A and B, following the
// official implementation's training step.
//   G_AB: A → B and G_BA: B → A (ResNet generators); D_A judges domain A, D_B judges domain B (PatchGANs).
//   Generators (one Adam over both):
//     G_AB = (D_B(G_AB(a)) − 1)²,  G_BA = (D_A(G_BA(b)) − 1)²                    (LSGAN)
//     cycle_A = λ_cyc·|G_BA(G_AB(a)) − a|,  cycle_B = λ_cyc·|G_AB(G_BA(b)) − b|   (L1)
//     idt_A = λ_cyc·λ_id·|G_BA(a) − a|,  idt_B = λ_cyc·λ_id·|G_AB(b) − b|         (identity on each domain's
//       real images: the generator *into* a domain should leave that domain's images alone; λ_id = 0 skips it)
//   Discriminators (one Adam over both), on fakes from the forward pass above, through a 50-image pool each:
//     D_A = ½·[(D_A(a) − 1)² + D_A(pool_A(G_BA(b)))²],  D_B likewise.
// Every term is a mean over its elements; Adam 2e-4, β1 0.5; the loop owns the constant-then-linear-decay schedule.
import * as tf from '@tensorflow/tfjs';
import { buildPatchDiscriminator } from '../nets/patchgan.js';
import { applyNet, createNet, disposeNet, trainableVariables, type Net } from '../nets/net.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { ImagePool } from './image-pool.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import type { Ops, Phase, PhaseResult } from '../diff/objective.js';
import { l1, mseTo } from './losses.js';
import { CYCLEGAN_OPTIONS } from './family-options.js';
import { FamilyOptions } from './options.js';
import { resolveTranslatorNets, TRANSLATOR_PRESETS, translatorPart, type TranslatorNets } from './translator-nets.js';
import { checkImages, checkSamplePairs, commonState, readScalars, restoreCommonState, type Trainables } from './state.js';

/** The network sizes the presets stand for (shared with CUT). */
export { TRANSLATOR_PRESETS as CYCLEGAN_PRESETS };

export type CycleGanConfig = TranslatorNets & {
  lambdaCycle: number;
  /** Multiplies lambdaCycle, as in the official code (identity loss = λ_cyc·λ_id·L1). */
  lambdaIdentity: number;
  poolSize: number;
  lr: number;
};

const BETA1 = 0.5;

export class CycleGanModel implements FamilyModel {
  readonly family = 'cyclegan' as const;
  readonly nets: { G_AB: Net; G_BA: Net; D_A: Net; D_B: Net };
  private readonly adamG: Adam;
  private readonly adamD: Adam;
  /** Generated A images (from G_BA) for D_A, and generated B images for D_B. */
  private readonly poolA: ImagePool;
  private readonly poolB: ImagePool;
  private rng: Rng;

  constructor(
    readonly config: CycleGanConfig,
    rng: Rng,
    private readonly engine: TrainingEngine = tfEngine,
  ) {
    const { ngf, ndf, blocks, upsampling } = config;
    this.nets = {
      G_AB: createNet(buildResnetGenerator({ name: 'G_AB', ngf, blocks, upsampling }), rng),
      G_BA: createNet(buildResnetGenerator({ name: 'G_BA', ngf, blocks, upsampling }), rng),
      D_A: createNet(buildPatchDiscriminator({ name: 'D_A', ndf }), rng),
      D_B: createNet(buildPatchDiscriminator({ name: 'D_B', ndf }), rng),
    };
    const adam = { learningRate: config.lr, beta1: BETA1 };
    this.adamG = new Adam(trainableVariables(this.nets.G_AB, this.nets.G_BA), adam);
    this.adamD = new Adam(trainableVariables(this.nets.D_A, this.nets.D_B), adam);
    this.poolA = new ImagePool(config.poolSize);
    this.poolB = new ImagePool(config.poolSize);
    this.rng = rng.fork();
  }

  /** A → B; call inside tf.tidy. */
  toB(a: tf.Tensor4D): tf.Tensor4D {
    return applyNet(this.nets.G_AB, a) as tf.Tensor4D;
  }

  /** B → A; call inside tf.tidy. */
  toA(b: tf.Tensor4D): tf.Tensor4D {
    return applyNet(this.nets.G_BA, b) as tf.Tensor4D;
  }

  /**
   * The generators' objective. Three generator passes instead of four, each over one batch (instance norm is per
   * image, so this is the same math in fewer kernels): G_AB over A (translation) and B (identity); G_BA over B
   * (translation), A (identity) and G_AB's translations (the A → B → A cycle); G_AB over G_BA's translations.
   * The discriminators are evaluated but not trained here.
   */
  private get generatorPhase(): Phase {
    return {
      name: 'generators',
      trains: [this.nets.G_AB, this.nets.G_BA],
      objective: <T>(o: Ops<T>, { a, b }: Record<string, T>): PhaseResult<T> => {
        const { lambdaCycle, lambdaIdentity } = this.config;
        const { G_AB, G_BA, D_A, D_B } = this.nets;
        const n = o.batchSize(a);
        const m = o.batchSize(b);
        const identity = lambdaIdentity > 0;
        const [fakeB, idtB] = identity ? o.split(o.net(G_AB, o.concat([a, b])), [n, m]) : [o.net(G_AB, a), null];
        const second = o.split(o.net(G_BA, o.concat(identity ? [b, a, fakeB] : [b, fakeB])), identity ? [m, n, n] : [m, n]);
        const [fakeA, idtA, recA] = identity ? second : [second[0], null, second[1]];
        const terms: Record<string, T> = {
          G_AB: mseTo(o, o.net(D_B, fakeB), 1),
          G_BA: mseTo(o, o.net(D_A, fakeA), 1),
          cycle_A: o.scale(l1(o, recA, a), lambdaCycle),
          cycle_B: o.scale(l1(o, o.net(G_AB, fakeA), b), lambdaCycle),
        };
        if (idtA !== null && idtB !== null) {
          terms.idt_A = o.scale(l1(o, idtA, a), lambdaCycle * lambdaIdentity);
          terms.idt_B = o.scale(l1(o, idtB, b), lambdaCycle * lambdaIdentity);
        }
        return { terms, outputs: { fakeA, fakeB } };
      },
    };
  }

  /** The discriminators' objective, on real images and pooled fakes, each pair through its net as one batch. */
  private get discriminatorPhase(): Phase {
    return {
      name: 'discriminators',
      trains: [this.nets.D_A, this.nets.D_B],
      objective: <T>(o: Ops<T>, { a, b, poolA, poolB }: Record<string, T>): PhaseResult<T> => {
        const half = (net: Net, real: T, fake: T) => {
          const [onReal, onFake] = o.split(o.net(net, o.concat([real, fake])), [o.batchSize(real), o.batchSize(fake)]);
          return o.scale(o.add(mseTo(o, onReal, 1), mseTo(o, onFake, 0)), 0.5);
        };
        return { terms: { D_A: half(this.nets.D_A, a, poolA), D_B: half(this.nets.D_B, b, poolB) }, outputs: {} };
      },
    };
  }

  async trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>> {
    const batch = nextBatches();
    const held: tf.Tensor[] = [batch.a, batch.b!];
    const losses: Record<string, tf.Scalar> = {};
    try {
      const a = checkImages(batch.a, 'domain A images', this.config.size, this.family);
      const b = checkImages(batch.b, 'domain B images', this.config.size, this.family);
      const g = await this.engine.step(this.generatorPhase, this.adamG, { a, b }, lrScale);
      Object.assign(losses, g.losses);
      held.push(...Object.values(g.outputs));
      const poolA = this.poolA.query(g.outputs.fakeA as tf.Tensor4D, this.rng);
      const poolB = this.poolB.query(g.outputs.fakeB as tf.Tensor4D, this.rng);
      held.push(poolA, poolB);
      const d = await this.engine.step(this.discriminatorPhase, this.adamD, { a, b, poolA, poolB }, lrScale);
      Object.assign(losses, d.losses);
    } catch (error) {
      tf.dispose(Object.values(losses));
      throw error;
    } finally {
      tf.dispose(held);
    }
    const values = await readScalars(losses);
    const order = ['D_A', 'G_AB', 'cycle_A', 'idt_A', 'D_B', 'G_BA', 'cycle_B', 'idt_B'];
    return Object.fromEntries(order.map((name) => [name, values[name] ?? 0]));
  }

  sampleGrid(fixed: Batches): SampleGrid {
    const { a, b, n } = checkSamplePairs(fixed, this.family);
    return tf.tidy(() => {
      const realA = a.slice(0, n);
      const realB = b.slice(0, n);
      const ab = this.toB(realA);
      const ba = this.toA(realB);
      return {
        rows: [
          { label: 'real A', images: realA },
          { label: 'A → B', images: ab },
          { label: 'A → B → A', images: this.toA(ab) },
          { label: 'real B', images: realB },
          { label: 'B → A', images: ba },
          { label: 'B → A → B', images: this.toB(ba) },
        ],
      };
    });
  }

  private trainables(): Trainables {
    return { family: this.family, nets: this.nets, optimizers: { G: this.adamG, D: this.adamD }, rng: this.rng };
  }

  getState(): FamilyState {
    const state = commonState(this.trainables());
    const a = this.poolA.getState('pool/A');
    const b = this.poolB.getState('pool/B');
    Object.assign(state.tensors, a.tensors, b.tensors);
    state.json.pool = { A: a.count, B: b.count };
    return state;
  }

  setState(state: FamilyState): void {
    const counts = state.json.pool as { A?: number; B?: number } | undefined;
    this.rng = restoreCommonState(this.trainables(), state)!;
    this.poolA.setState('pool/A', state.tensors, counts?.A ?? NaN);
    this.poolB.setState('pool/B', state.tensors, counts?.B ?? NaN);
  }

  exportParts(): ExportPart[] {
    return [translatorPart('AtoB', this.nets.G_AB), translatorPart('BtoA', this.nets.G_BA)];
  }

  dispose(): void {
    void this.engine.dispose();
    this.adamG.dispose();
    this.adamD.dispose();
    this.poolA.dispose();
    this.poolB.dispose();
    for (const net of Object.values(this.nets)) disposeNet(net);
  }
}

export const cyclegan: ModelFamily<CycleGanConfig> = {
  id: 'cyclegan',
  title: 'CycleGAN',
  summary: 'Learns to translate between two unpaired image collections (day ↔ night, summer ↔ winter) and back again.',
  datasets: 2,
  resolveConfig(options) {
    const read = new FamilyOptions('cyclegan', options, CYCLEGAN_OPTIONS);
    return {
      ...resolveTranslatorNets(read),
      lambdaCycle: read.number('lambdaCycle'),
      lambdaIdentity: read.number('lambdaIdentity'),
      poolSize: read.int('poolSize'),
      lr: read.number('lr'),
    };
  },
  create: (config, rng, engine) => new CycleGanModel(config, rng, engine),
};
