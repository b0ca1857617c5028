// What the translation families (CycleGAN, CUT) share: the ResNet generator and PatchGAN discriminator sized by a
// preset, the options that size them, and how a generator is exported.
import { PATCHGAN_MIN_SIZE } from '../nets/patchgan.js';
import type { Net } from '../nets/net.js';
import { PRESETS, type Direction, type ExportPart, type FamilyId, type Preset } from './family.js';
import { choiceOption, intOption, type OptionInfo } from './options.js';

export const TRANSLATOR_PRESETS: Record<Preset, { ngf: number; ndf: number; blocks: number }> = {
  // light: half the paper's width for CPU training; the discriminator is narrowed with the generator so it
  // does not overpower it (and costs half as much).
  light: { ngf: 32, ndf: 32, blocks: 6 },
  standard: { ngf: 64, ndf: 64, blocks: 9 },
};

// A type, not an interface: family configs must stay assignable to Record<string, unknown> (the registry's view).
export type TranslatorNets = {
  /** Training crop size (the generators are fully convolutional and run at any multiple of 4 afterwards). */
  size: number;
  preset: Preset;
  ngf: number;
  ndf: number;
  blocks: number;
  /** The generators' upsampling alignment; 'pytorch' when they start from a published checkpoint (absent: ours). */
  upsampling?: 'tensorflow' | 'pytorch';
};

export const SIZE_OPTION: OptionInfo = { name: 'size', help: 'training crop size in pixels, a multiple of 4, at least 32', default: 128 };

/** The preset and the widths that override it; `blocksHelp` says what the family's residual blocks are. */
export function netOptions(blocksHelp: string): OptionInfo[] {
  return [
    { name: 'preset', help: 'network size: light (ngf 32, ndf 32, 6 blocks) or standard (the paper: 64, 64, 9)', default: 'light', choices: PRESETS },
    { name: 'ngf', help: "generator width (filters of the 7×7 stem); overrides the preset's", default: null },
    { name: 'ndf', help: "discriminator width (filters of its first conv); overrides the preset's", default: null },
    { name: 'blocks', help: `${blocksHelp}; overrides the preset's`, default: null },
  ];
}

/** Size, preset and widths from the given options; `minBlocks` is the fewest residual blocks the family works with. */
export function resolveTranslatorNets(family: FamilyId, given: Map<string, unknown>, minBlocks: number): TranslatorNets {
  const preset = choiceOption(family, given, 'preset', PRESETS, 'light');
  const base = TRANSLATOR_PRESETS[preset];
  return {
    size: intOption(family, given, 'size', 128, { multipleOf: 4, min: Math.max(32, PATCHGAN_MIN_SIZE), max: 4096 }),
    preset,
    ngf: intOption(family, given, 'ngf', base.ngf, { min: 1, max: 512 }),
    ndf: intOption(family, given, 'ndf', base.ndf, { min: 1, max: 512 }),
    blocks: intOption(family, given, 'blocks', base.blocks, { min: minBlocks, max: 32 }),
  };
}

/** A generator as an exported translator. */
export function translatorPart(direction: Direction, net: Net): ExportPart {
  return {
    part: 'generator',
    direction,
    net,
    input: 'image',
    output: 'image',
    description: `${direction === 'AtoB' ? 'A → B' : 'B → A'} translator, fully convolutional (height and width multiples of 4)`,
  };
}
