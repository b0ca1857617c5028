// What the translation families (CycleGAN, CUT) share: the ResNet generator and PatchGAN discriminator sized by a
// preset (the options that size them are described in family-options.ts), and how a generator is exported.
import type { Net } from '../nets/net.js';
import type { Direction, ExportPart, Preset } from './family.js';
import type { FamilyOptions } from './options.js';

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

/** Size, preset and the widths that override it (their rules are the family's options in family-options.ts). */
export function resolveTranslatorNets(read: FamilyOptions): TranslatorNets {
  const preset = read.choice<Preset>('preset');
  const base = TRANSLATOR_PRESETS[preset];
  return { size: read.int('size'), preset, ngf: read.int('ngf', base.ngf), ndf: read.int('ndf', base.ndf), blocks: read.int('blocks', base.blocks) };
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
