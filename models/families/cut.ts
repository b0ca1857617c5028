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
// them), so they are computed outside the gradient tape.
// Order: G then D on the same generated images (as the official CycleGAN; the CUT reference updates D first, so its
// G step sees the updated D). Adam 2e-4, β (0.5, 0.999); the loop owns the constant-then-linear-decay schedule.
import * as tf from '@tensorflow/tfjs';
import { buildPatchDiscriminator } from '../nets/patchgan.js';
import { applyNet, createNet, disposeNet, tapNet, trainableVariables, type Net } from '../nets/net.js';
import { buildResnetGenerator } from '../nets/resnet-generator.js';
import type { NetSpec } from '../nets/spec.js';
import type { Rng } from '../rng.js';
import { Adam } from '../train/adam.js';
import type { Batches, ExportPart, FamilyModel, FamilyState, ModelFamily, SampleGrid } from './family.js';
import { mseTo } from './losses.js';
import { choiceOption, givenOptions, intOption, LR_OPTION, numberOption, type OptionInfo } from './options.js';
import { netOptions, resolveTranslatorNets, SIZE_OPTION, translatorPart, type TranslatorNets } from './translator-nets.js';
import { buildNceHead, patchNceLoss, projectPatches, sampleFeatures, samplePositions } from './patch-nce.js';
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
  lr: number;
};

const MODE_DEFAULTS: Record<CutMode, { lambdaNce: number; identity: boolean; flipEquivariance: boolean }> = {
  cut: { lambdaNce: 1, identity: true, flipEquivariance: false },
  fastcut: { lambdaNce: 10, identity: false, flipEquivariance: true },
};

export const CUT_OPTIONS: readonly OptionInfo[] = [
  SIZE_OPTION,
  { name: 'mode', help: 'cut (with the identity term on B) or fastcut (lighter: no identity term, flip-equivariance)', default: 'cut', choices: ['cut', 'fastcut'] },
  ...netOptions('residual blocks in the generator (at least 1)'),
  { name: 'lambdaGan', help: 'weight of the adversarial loss', default: 1 },
  { name: 'lambdaNce', help: 'weight of the PatchNCE loss (default: 1 for cut, 10 for fastcut)', default: null },
  { name: 'identity', help: 'the PatchNCE identity term on domain B, PatchNCE(b, G(b)) (default: on for cut, off for fastcut)', default: null, choices: ['on', 'off'] },
  { name: 'flipEquivariance', help: 'mirror half the inputs and their features back (default: off for cut, on for fastcut)', default: null, choices: ['on', 'off'] },
  { name: 'patches', help: 'locations sampled per feature layer for PatchNCE', default: 256 },
  LR_OPTION(2e-4),
];

const BETA1 = 0.5;

/** The generator layers whose outputs PatchNCE compares: the input, stem, both downsamplings, the middle block. */
export function nceTaps(spec: NetSpec): { index: number; channels: number; stride: number }[] {
  const at = (name: string) => spec.layers.findIndex((l) => 'name' in l && l.name === name);
  const blocks = spec.layers.flatMap((l, i) => (l.op === 'residual' ? [i] : []));
  const conv = (name: string, stride: number) => {
    const layer = spec.layers[at(name)];
    return { index: at(name), channels: layer.op === 'conv' ? layer.filters : 0, stride };
  };
  const down1 = conv('down1', 4);
  return [{ index: -1, channels: 3, stride: 1 }, conv('stem', 1), conv('down0', 2), down1, { index: blocks[Math.floor(blocks.length / 2)], channels: down1.channels, stride: 4 }];
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
  ) {
    const { ngf, ndf, blocks } = config;
    this.generator = createNet(buildResnetGenerator({ name: 'G', ngf, blocks }), rng);
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

  /** Projected features of each tapped layer at the sampled locations (mirrored back first if `unflip`). */
  private patches(images: tf.Tensor4D, positions: tf.Tensor1D[], unflip: boolean): tf.Tensor3D[] {
    const maps = tapNet(this.generator, images, this.taps.map((t) => t.index));
    return maps.map((map, i) => projectPatches(this.heads[i], sampleFeatures((unflip ? tf.reverse(map, 2) : map) as tf.Tensor4D, positions[i])));
  }

  /** λ_NCE × the mean over layers of PatchNCE between an input's patches (fixed keys) and its translation's. */
  private nce(keys: tf.Tensor3D[], translated: tf.Tensor4D, positions: tf.Tensor1D[], unflip: boolean): tf.Scalar {
    const queries = this.patches(translated, positions, unflip);
    const perLayer = queries.map((q, i) => patchNceLoss(q, keys[i]));
    return tf.mul(tf.div(tf.addN(perLayer), perLayer.length), this.config.lambdaNce);
  }

  async trainStep(nextBatches: () => Batches, lrScale: number): Promise<Record<string, number>> {
    const batch = nextBatches();
    const kept: tf.Tensor[] = [];
    const losses: Record<string, tf.Scalar> = {};
    try {
      const a = checkImages(batch.a, 'domain A images', this.config.size, this.family);
      const b = checkImages(batch.b, 'domain B images', this.config.size, this.family);
      const { identity, lambdaGan } = this.config;
      const flipped = this.config.flipEquivariance && this.rng.uniform() < 0.5;
      const positions = this.taps.map((tap) => {
        const side = this.config.size / tap.stride;
        const p = tf.tensor1d(samplePositions(side, side, this.config.patches, this.rng), 'int32');
        kept.push(p);
        return p;
      });
      // The fixed side: the real images' patches, computed off the gradient tape.
      const keysA = tf.tidy(() => this.patches(a, positions, false));
      kept.push(...keysA);
      const keysB = identity ? tf.tidy(() => this.patches(b, positions, false)) : [];
      kept.push(...keysB);
      const source = flipped ? tf.reverse(a, 2) : a;
      if (flipped) kept.push(source);

      const totalG = this.adamG.minimize(() => {
        // A and B through G as one batch (instance norm is per image): translations, and identities for CUT.
        const out = this.translate(identity ? tf.concat([source, b]) : source);
        const [fakeB, idtB] = identity ? tf.split(out, [a.shape[0], b.shape[0]]) : [out, null];
        kept.push(tf.keep(fakeB));
        const gan: tf.Scalar = tf.mul(mseTo(applyNet(this.discriminator, fakeB), 1), lambdaGan);
        let nce: tf.Scalar = this.nce(keysA, fakeB as tf.Tensor4D, positions, flipped);
        losses.nce_A = tf.keep(nce);
        if (idtB !== null) {
          const nceB = this.nce(keysB, idtB as tf.Tensor4D, positions, false);
          losses.nce_B = tf.keep(nceB);
          nce = tf.mul(tf.add(nce, nceB), 0.5);
        }
        losses.G = tf.keep(gan);
        return tf.add(gan, nce) as tf.Scalar;
      }, lrScale);
      totalG.dispose();

      const fake = kept[kept.length - 1];
      losses.D = this.adamD.minimize((): tf.Scalar => {
        // Real and generated images through D as one batch (its instance norm is per image too).
        const scores = applyNet(this.discriminator, tf.concat([b, fake])) as tf.Tensor4D;
        const [onReal, onFake] = tf.split(scores, [b.shape[0], fake.shape[0]]);
        return tf.mul(tf.add(mseTo(onReal, 1), mseTo(onFake, 0)), 0.5) as tf.Scalar;
      }, lrScale);
    } catch (error) {
      tf.dispose(Object.values(losses));
      throw error;
    } finally {
      tf.dispose([batch.a, batch.b, ...kept]);
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
    const given = givenOptions('cut', options, CUT_OPTIONS);
    const mode = choiceOption('cut', given, 'mode', ['cut', 'fastcut'] as const, 'cut');
    const defaults = MODE_DEFAULTS[mode];
    return {
      ...resolveTranslatorNets('cut', given, 1),
      mode,
      lambdaGan: numberOption('cut', given, 'lambdaGan', 1, { min: 0, max: 1000 }),
      lambdaNce: numberOption('cut', given, 'lambdaNce', defaults.lambdaNce, { min: 0, max: 1000 }),
      identity: choiceOption('cut', given, 'identity', ['on', 'off'] as const, defaults.identity ? 'on' : 'off') === 'on',
      flipEquivariance: choiceOption('cut', given, 'flipEquivariance', ['on', 'off'] as const, defaults.flipEquivariance ? 'on' : 'off') === 'on',
      patches: intOption('cut', given, 'patches', 256, { min: 2, max: 4096 }),
      lr: numberOption('cut', given, 'lr', 2e-4, { above: 0, max: 1 }),
    };
  },
  create: (config, rng) => new CutModel(config, rng),
};
