// CUT and FastCUT (Park, Efros, Zhang, Zhu, ECCV 2020; reference code taesungp/contrastive-unpaired-translation):
// one-sided unpaired translation A → B with one generator and one discriminator, the cycle replaced by PatchNCE.
//   G: the CycleGAN ResNet generator; D: the 70×70 PatchGAN; LSGAN.
//   G (one Adam over G and the PatchNCE heads):  λ_GAN·(D(G(a)) − 1)² + λ_NCE·PatchNCE(a, G(a))
//     CUT:     λ_NCE 1, and the identity term: the NCE part is ½·[PatchNCE(a, G(a)) + PatchNCE(b, G(b))]
//     FastCUT: λ_NCE 10, no identity term; flip-equivariance: half the steps G sees a mirrored a, and its output's
//              features are mirrored back before they are compared with a's.
//   D: ½·[(D(b) − 1)² + D(G(a))²]
// PatchNCE's features: the input, the outputs of the stem conv, of both downsampling convs, and of the middle
// residual block, each through its own head (patch-nce.ts); 256 random locations per layer and step, the same ones
// for the input and the output. The input's features are the fixed side of the comparison (the reference detaches
// them): the phase's `fixed` values, through which no gradient flows.
// Order: G then D on the same generated images (as the official CycleGAN; the CUT reference updates D first, so its
// G step sees the updated D). Adam 2e-4, β (0.5, 0.999); the loop owns the constant-then-linear-decay schedule.
import * as tf from '@tensorflow/tfjs';
import { buildPatchDiscriminator } from '../nets/patchgan.js';
import { applyNet, createNet, disposeNet, trainableVariables, type Net } from '../nets/net.js';
import { buildResnetGenerator, type Resampling } from '../nets/resnet-generator.js';
import type { NetSpec } from '../nets/spec.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { mseTo } from './losses.js';
import { CUT_OPTIONS } from './family-options.js';
import { FamilyOptions } from './options.js';
import { resolveTranslatorNets, translatorPart, type TranslatorNets } from './translator-nets.js';
import { buildNceHead, patchNceLoss, projectPatches, samplePositions } from './patch-nce.js';
import { tfEngine, type TrainingEngine } from '../diff/engine.js';
import type { Ops, Phase, PhaseResult } from '../diff/objective.js';
import { checkImages, checkSamplePairs, commonState, readScalars, restoreCommonState, type Trainables } from './state.js';

export type CutMode = 'cut' | 'fastcut';

export type CutConfig = TranslatorNets & {
  mode: CutMode;
  lambdaGan: number;
  lambdaNce: number;
  /** PatchNCE(b, G(b)) on domain B (CUT). */
  identity: boolean;
  /** Mirror G's input half the time and its features back (FastCUT). */
  flipEquivariance: boolean;
  /** Locations sampled per tapped layer and step. */
  patches: number;
  /** The generator's down- and upsampling (nets/resnet-generator.ts): CUT's anti-aliasing, or strided convs (also when a run.json from before this option lacks it). */
  resampling: Resampling;
  lr: number;
};

const MODE_DEFAULTS: Record<CutMode, { lambdaNce: number; identity: boolean; flipEquivariance: boolean }> = {
  cut: { lambdaNce: 1, identity: true, flipEquivariance: false },
  fastcut: { lambdaNce: 10, identity: false, flipEquivariance: true },
};

const BETA1 = 0.5;

/**
 * The generator layers whose outputs PatchNCE compares: the input, stem, both downsampling convs, the middle block —
 * found by name, so an anti-aliased generator's taps are the same convs (before their blurs: down0's then at full
 * resolution, as in CUT, whose default taps are those two convs' outputs too). `stride`: the tapped map's scale.
 */
export function nceTaps(spec: NetSpec): { index: number; channels: number; stride: number }[] {
  const at = (name: string) => spec.layers.findIndex((l) => 'name' in l && l.name === name);
  const strideAt = (index: number) => spec.layers.slice(0, index + 1).reduce((s, l) => (l.op === 'conv' || l.op === 'blurDown' ? s * l.stride : s), 1);
  const blocks = spec.layers.flatMap((l, i) => (l.op === 'residual' ? [i] : []));
  const conv = (name: string) => {
    const index = at(name);
    const layer = spec.layers[index];
    return { index, channels: layer.op === 'conv' ? layer.filters : 0, stride: strideAt(index) };
  };
  const down1 = conv('down1');
  const middle = blocks[Math.floor(blocks.length / 2)];
  return [{ index: -1, channels: 3, stride: 1 }, conv('stem'), conv('down0'), down1, { index: middle, channels: down1.channels, stride: strideAt(middle) }];
}

export class CutModel implements FamilyModel {
  readonly family = 'cut' as const;
  readonly nets: Record<string, Net>;
  private readonly generator: Net;
  private readonly discriminator: Net;
  private readonly heads: Net[];
  private readonly taps: ReturnType<typeof nceTaps>;
  private readonly adamG: Adam;
  private readonly adamD: Adam;
  private rng: Rng;

  constructor(
    readonly config: CutConfig,
    rng: Rng,
    private readonly engine: TrainingEngine = tfEngine,
  ) {
    const { ngf, ndf, blocks, upsampling, resampling } = config;
    this.generator = createNet(buildResnetGenerator({ name: 'G', ngf, blocks, upsampling, resampling }), rng);
    this.discriminator = createNet(buildPatchDiscriminator({ name: 'D', ndf }), rng);
    this.taps = nceTaps(this.generator.spec);
    this.heads = this.taps.map((tap, i) => createNet(buildNceHead(`H${i}`, tap.channels), rng));
    this.nets = { G: this.generator, D: this.discriminator, ...Object.fromEntries(this.heads.map((h, i) => [`H${i}`, h])) };
    const adam = { learningRate: config.lr, beta1: BETA1 };
    // The heads learn with the generator (the reference gives them their own Adam with the same settings: the same).
    this.adamG = new Adam(trainableVariables(this.generator, ...this.heads), adam);
    this.adamD = new Adam(trainableVariables(this.discriminator), adam);
    this.rng = rng.fork();
  }

  /** A → B; call inside tf.tidy. */
  translate(a: tf.Tensor4D): tf.Tensor4D {
    return applyNet(this.generator, a) as tf.Tensor4D;
  }

  /** Projected features of each tapped layer at its sampled locations `at<i>` (mirrored back first if `unflip`). */
  private patches<T>(o: Ops<T>, images: T, inputs: Record<string, T>, unflip: boolean): T[] {
    const maps = o.taps(this.generator, images, this.taps.map((t) => t.index));
    return maps.map((map, i) => {
      const sampled = o.atLocations(unflip ? o.flipWidth(map) : map, inputs[`at${i}`]);
      return projectPatches(o, this.heads[i], sampled, [o.batchSize(images), this.locationCount(i), this.taps[i].channels]);
    });
  }

  private locationCount(tap: number): number {
    const side = this.config.size / this.taps[tap].stride;
    return Math.min(this.config.patches, side * side);
  }

  /** λ_NCE × the mean over layers of PatchNCE between an input's patches (fixed keys) and its translation's. */
  private nce<T>(o: Ops<T>, keys: T[], translated: T, inputs: Record<string, T>, unflip: boolean): T {
    const queries = this.patches(o, translated, inputs, unflip);
    const perLayer = queries.map((q, i) => patchNceLoss(o, q, keys[i]));
    return o.scale(perLayer.reduce((x, y) => o.add(x, y)), this.config.lambdaNce / perLayer.length);
  }

  /**
   * G's objective (with the heads'). Inputs: a, b and the sampled locations at<i>; `flipped` mirrors a first (FastCUT),
   * and is part of the phase's name because it changes the graph. The keys — the real images' patches — are fixed.
   */
  private generatorPhase(flipped: boolean): Phase {
    const { identity, lambdaGan } = this.config;
    const keyNames = (side: string) => this.taps.map((_, i) => `key${side}${i}`);
    return {
      name: flipped ? 'generator-flipped' : 'generator',
      trains: [this.generator, ...this.heads],
      fixed: <T>(o: Ops<T>, inputs: Record<string, T>) => {
        const keys: Record<string, T> = {};
        this.patches(o, inputs.a, inputs, false).forEach((k, i) => (keys[keyNames('A')[i]] = k));
        if (identity) this.patches(o, inputs.b, inputs, false).forEach((k, i) => (keys[keyNames('B')[i]] = k));
        return keys;
      },
      objective: <T>(o: Ops<T>, inputs: Record<string, T>): PhaseResult<T> => {
        const { a, b } = inputs;
        const source = flipped ? o.flipWidth(a) : a;
        // A and B through G as one batch (instance norm is per image): translations, and identities for CUT.
        const out = o.net(this.generator, identity ? o.concat([source, b]) : source);
        const [fakeB, idtB] = identity ? o.split(out, [o.batchSize(a), o.batchSize(b)]) : [out, null];
        const terms: Record<string, T> = {
          G: o.scale(mseTo(o, o.net(this.discriminator, fakeB), 1), lambdaGan),
          nce_A: this.nce(o, keyNames('A').map((k) => inputs[k]), fakeB, inputs, flipped),
        };
        if (idtB === null) return { terms, outputs: { fakeB } };
        terms.nce_B = this.nce(o, keyNames('B').map((k) => inputs[k]), idtB, inputs, false);
        return { terms, weights: { nce_A: 0.5, nce_B: 0.5 }, outputs: { fakeB } };
      },
    };
  }

  /** D's objective: ½·[(D(b) − 1)² + D(fake)²], real and generated images through D as one batch. */
  private get discriminatorPhase(): Phase {
    return {
      name: 'discriminator',
      trains: [this.discriminator],
      objective: <T>(o: Ops<T>, { b, fake }: Record<string, T>): PhaseResult<T> => {
        const [onReal, onFake] = o.split(o.net(this.discriminator, o.concat([b, fake])), [o.batchSize(b), o.batchSize(fake)]);
        return { terms: { D: o.scale(o.add(mseTo(o, onReal, 1), mseTo(o, onFake, 0)), 0.5) }, outputs: {} };
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
      const flipped = this.config.flipEquivariance && this.rng.uniform() < 0.5;
      const inputs: Record<string, tf.Tensor> = { a, b };
      this.taps.forEach((tap, i) => {
        const side = this.config.size / tap.stride;
        held.push((inputs[`at${i}`] = tf.tensor1d(samplePositions(side, side, this.config.patches, this.rng), 'int32')));
      });
      const g = await this.engine.step(this.generatorPhase(flipped), this.adamG, inputs, lrScale);
      Object.assign(losses, g.losses);
      held.push(...Object.values(g.outputs));
      const d = await this.engine.step(this.discriminatorPhase, this.adamD, { b, fake: g.outputs.fakeB }, lrScale);
      Object.assign(losses, d.losses);
    } catch (error) {
      tf.dispose(Object.values(losses));
      throw error;
    } finally {
      tf.dispose(held);
    }
    const values = await readScalars(losses);
    const order = this.config.identity ? ['D', 'G', 'nce_A', 'nce_B'] : ['D', 'G', 'nce_A'];
    return Object.fromEntries(order.map((name) => [name, values[name]]));
  }

  sampleGrid(fixed: Batches): SampleGrid {
    const { a, b, n } = checkSamplePairs(fixed, this.family);
    return tf.tidy(() => {
      const realA = a.slice(0, n);
      const rows = [
        { label: 'real A', images: realA },
        { label: 'A → B', images: this.translate(realA) },
      ];
      if (this.config.identity) {
        const realB = b.slice(0, n);
        rows.push({ label: 'real B', images: realB }, { label: 'B → B (identity)', images: this.translate(realB) });
      }
      return { rows };
    });
  }

  private trainables(): Trainables {
    return { family: this.family, nets: this.nets, optimizers: { G: this.adamG, D: this.adamD }, rng: this.rng };
  }

  getState(): FamilyState {
    return commonState(this.trainables());
  }

  setState(state: FamilyState): void {
    this.rng = restoreCommonState(this.trainables(), state)!;
  }

  /** The A → B generator; the PatchNCE heads are for training only. */
  exportParts(): ExportPart[] {
    return [translatorPart('AtoB', this.generator)];
  }

  dispose(): void {
    void this.engine.dispose();
    this.adamG.dispose();
    this.adamD.dispose();
    for (const net of Object.values(this.nets)) disposeNet(net);
  }
}

export const cut: ModelFamily<CutConfig> = {
  id: 'cut',
  title: 'CUT / FastCUT',
  summary: 'Learns a one-way translation between two unpaired collections (day → night) in about half the time of CycleGAN, by matching patches of each photo with its translation.',
  datasets: 2,
  resolveConfig(options) {
    const read = new FamilyOptions('cut', options, CUT_OPTIONS);
    const mode = read.choice<CutMode>('mode');
    const defaults = MODE_DEFAULTS[mode];
    const onOff = (flag: boolean) => (flag ? 'on' : 'off');
    return {
      ...resolveTranslatorNets(read),
      mode,
      lambdaGan: read.number('lambdaGan'),
      lambdaNce: read.number('lambdaNce', defaults.lambdaNce),
      identity: read.choice('identity', onOff(defaults.identity)) === 'on',
      flipEquivariance: read.choice('flipEquivariance', onOff(defaults.flipEquivariance)) === 'on',
      patches: read.int('patches'),
      resampling: read.choice<Resampling>('resampling'),
      lr: read.number('lr'),
    };
  },
  create: (config, rng, engine) => new CutModel(config, rng, engine),
};
