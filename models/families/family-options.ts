// Every option of every family, each described whole (option-spec.ts). The families' resolveConfig, the CLI's
// flags, help and checks, the API's validators and the studio's Train form (through app.info) read this table and
// nothing else, so they accept and refuse the same values. It loads no tfjs: the API and `darkroom --help` use it.
import { PATCHGAN_MIN_SIZE } from '../nets/patchgan.js';
import { RESAMPLINGS } from '../nets/resnet-generator.js';
import { PRESETS, type FamilyId } from './family.js';
import type { OptionInfo } from './option-spec.js';

export type { OptionInfo } from './option-spec.js';

export const RECON_LOSSES = ['l1', 'l2'] as const;
export const CUT_MODES = ['cut', 'fastcut'] as const;
export const ON_OFF = ['on', 'off'] as const;

/** AE, VAE and GAN halve the image down to 4×4 and double it back up, so their size is a power of two. */
const pyramidSize: OptionInfo = { name: 'size', label: 'Image size', help: 'image size in pixels', kind: 'int', default: 64, powerOfTwo: true, min: 16, max: 1024 };

/**
 * CycleGAN's and CUT's generators downsample twice by 2 (a multiple of 4); the PatchGAN needs 24 px
 * (PATCHGAN_MIN_SIZE) and below 32 its score map is a single patch. The generators then run on photos of any size.
 */
const translatorSize: OptionInfo = {
  name: 'size',
  label: 'Image size',
  help: 'training crop size in pixels',
  kind: 'int',
  default: 128,
  multipleOf: 4,
  min: Math.max(32, PATCHGAN_MIN_SIZE),
  max: 4096,
};

const lr = (fallback: number): OptionInfo => ({ name: 'lr', label: 'Learning rate', help: 'Adam learning rate', kind: 'number', default: fallback, above: 0, max: 1 });
const width = (name: string, label: string, help: string, fallback: number | null): OptionInfo => ({
  name,
  label,
  help,
  kind: 'int',
  default: fallback,
  ...(fallback === null ? { defaultFrom: 'preset' } : {}),
  min: 1,
  max: 512,
});
const latent = (label: string, help: string, fallback: number): OptionInfo => ({ name: 'latent', label, help, kind: 'int', default: fallback, min: 1, max: 4096 });
const weight = (name: string, label: string, help: string, fallback: number | null, max = 1000): OptionInfo => ({ name, label, help, kind: 'number', default: fallback, min: 0, max });

/** The preset and the widths that override it; `minBlocks` is the fewest residual blocks the family works with. */
function translatorNets(blocksHelp: string, minBlocks: number): OptionInfo[] {
  return [
    { name: 'preset', label: 'Preset', help: 'network size: light (ngf 32, ndf 32, 6 blocks) or standard (the paper: 64, 64, 9)', kind: 'choice', default: 'light', choices: PRESETS },
    width('ngf', 'Generator width', "generator width (filters of the 7×7 stem); overrides the preset's", null),
    width('ndf', 'Discriminator width', "discriminator width (filters of its first conv); overrides the preset's", null),
    { name: 'blocks', label: 'Residual blocks', help: `${blocksHelp}; overrides the preset's`, kind: 'int', default: null, defaultFrom: 'preset', min: minBlocks, max: 32 },
  ];
}

export const AE_OPTIONS: readonly OptionInfo[] = [
  pyramidSize,
  latent('Latent length', 'length of the latent vector', 128),
  width('nf', 'Base width', 'filters of the first conv layer, doubled at each halving up to 8×', 32),
  { name: 'loss', label: 'Reconstruction loss', help: 'reconstruction loss', kind: 'choice', default: 'l1', choices: RECON_LOSSES },
  lr(1e-3),
];

export const VAE_OPTIONS: readonly OptionInfo[] = [
  pyramidSize,
  latent('Latent dimensions', 'dimensions of the latent space', 64),
  width('nf', 'Base width', 'filters of the first conv layer, doubled at each halving up to 8×', 32),
  { name: 'loss', label: 'Reconstruction loss', help: 'reconstruction term, summed over pixels: l2 (Gaussian decoder) or l1 (Laplace)', kind: 'choice', default: 'l2', choices: RECON_LOSSES },
  weight('beta', 'KL weight (β)', 'weight of the KL term (1: plain VAE; larger: smoother latent space, blurrier images)', 1),
  lr(1e-3),
];

export const GAN_OPTIONS: readonly OptionInfo[] = [
  pyramidSize,
  latent('Noise length', 'length of the noise vector z', 100),
  width('ngf', 'Generator width', "filters of the generator's last hidden layer (deeper layers have up to 8×)", 64),
  width('ndf', 'Discriminator width', "filters of the discriminator's first layer, doubled at each halving up to 8×", 64),
  { name: 'k', label: 'Discriminator steps', help: 'discriminator steps per generator step, each on a fresh minibatch', kind: 'int', default: 1, min: 1, max: 100 },
  lr(2e-4),
];

export const CYCLEGAN_OPTIONS: readonly OptionInfo[] = [
  translatorSize,
  ...translatorNets('residual blocks in each generator', 0),
  weight('lambdaCycle', 'Cycle loss weight', 'weight of the cycle-consistency L1 loss', 10),
  weight('lambdaIdentity', 'Identity loss weight', 'identity loss weight, as a fraction of the cycle loss weight (0 turns it off)', 0.5, 100),
  { name: 'poolSize', label: 'Image pool size', help: 'generated images remembered for each discriminator (0: no pool)', kind: 'int', default: 50, min: 0, max: 1000 },
  lr(2e-4),
];

export const CUT_OPTIONS: readonly OptionInfo[] = [
  translatorSize,
  { name: 'mode', label: 'Mode', help: 'cut (with the identity term on B) or fastcut (lighter: no identity term, flip-equivariance)', kind: 'choice', default: 'cut', choices: CUT_MODES },
  ...translatorNets('residual blocks in the generator', 1),
  weight('lambdaGan', 'Adversarial loss weight', 'weight of the adversarial loss', 1),
  { ...weight('lambdaNce', 'PatchNCE loss weight', 'weight of the PatchNCE loss (default: 1 for cut, 10 for fastcut)', null), defaultFrom: 'mode' },
  { name: 'identity', label: 'Identity term', help: 'the PatchNCE identity term on domain B, PatchNCE(b, G(b)) (default: on for cut, off for fastcut)', kind: 'choice', default: null, defaultFrom: 'mode', choices: ON_OFF },
  { name: 'flipEquivariance', label: 'Flip equivariance', help: 'mirror half the inputs and their features back (default: off for cut, on for fastcut)', kind: 'choice', default: null, defaultFrom: 'mode', choices: ON_OFF },
  { name: 'patches', label: 'Patches per layer', help: 'locations sampled per feature layer for PatchNCE', kind: 'int', default: 256, min: 2, max: 4096 },
  {
    name: 'resampling',
    label: 'Resampling',
    help:
      "the generator's down- and upsampling: strided convs, or CUT's anti-aliased blurs — antialiased (the CUT reference's default), antialiased-down (its --no_antialias_up), antialiased-up (its --no_antialias)",
    kind: 'choice',
    default: 'strided',
    choices: RESAMPLINGS,
  },
  lr(2e-4),
];

/** Every option each family's resolveConfig accepts (anything else is a UsageError). */
export const FAMILY_OPTIONS: Record<FamilyId, readonly OptionInfo[]> = {
  ae: AE_OPTIONS,
  vae: VAE_OPTIONS,
  gan: GAN_OPTIONS,
  cyclegan: CYCLEGAN_OPTIONS,
  cut: CUT_OPTIONS,
};

/** The family's option of this name; throws for a name the table lacks (a programming mistake, not a user's). */
export function familyOption(family: FamilyId, name: string): OptionInfo {
  const option = FAMILY_OPTIONS[family].find((o) => o.name === name);
  if (!option) throw new Error(`${family} has no option ${name} in FAMILY_OPTIONS`);
  return option;
}
