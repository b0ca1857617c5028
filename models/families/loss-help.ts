// Each family's losses in plain words, for the studio's loss chart (its legend's tooltips and the notes under it).
// The names are the keys trainStep returns (loss-help.test.ts checks every one has words here).
import type { FamilyId } from './family.js';

const judge = (domain: string) => `The ${domain} judge's error telling real ${domain} images from translated ones. Judge and generator pull against each other, so it stays level rather than falling.`;
const fooled = (from: string, to: string) => `How easily the ${to} judge spots ${from} → ${to} translations as fake: lower means more convincing ${to} images.`;

export const LOSS_HELP: Record<FamilyId, Record<string, string>> = {
  ae: { recon: 'Reconstruction: how far the rebuilt images are from the originals. Lower is sharper.' },
  vae: {
    loss: 'Total: reconstruction plus β × KL, what training makes smaller.',
    recon: 'Reconstruction: how far the decoded images are from the originals. Lower is sharper.',
    kl: 'KL: how far the codes stray from plain random noise. It keeps images drawn from noise looking like the data.',
  },
  gan: {
    d: 'Discriminator: its error telling real images from generated ones. It pulls against the generator, so it stays level rather than falling.',
    dReal: 'Discriminator on real images: its error calling them real.',
    dFake: 'Discriminator on generated images: its error calling them generated.',
    g: 'Generator: how easily the discriminator still spots its images. Lower means more convincing images.',
  },
  cyclegan: {
    D_A: judge('A'),
    D_B: judge('B'),
    G_AB: fooled('A', 'B'),
    G_BA: fooled('B', 'A'),
    cycle_A: 'Cycle A: how far A → B → A comes back from the original. Low means the translation keeps the picture’s content.',
    cycle_B: 'Cycle B: how far B → A → B comes back from the original. Low means the translation keeps the picture’s content.',
    idt_A: 'Identity A: how much B → A changes a picture that is already A. Low keeps colours steady.',
    idt_B: 'Identity B: how much A → B changes a picture that is already B. Low keeps colours steady.',
  },
  cut: {
    D: judge('B'),
    G: fooled('A', 'B'),
    nce_A: 'Content (PatchNCE): how poorly each patch of a translation matches the same patch of its original. Low means the content is kept.',
    nce_B: 'Identity (PatchNCE on B): how much A → B changes pictures already in B. Low keeps colours steady.',
  },
};

/** The plain-words meaning of one loss of a family, or null for a name it does not have. */
export function explainLoss(family: FamilyId, name: string): string | null {
  return LOSS_HELP[family][name] ?? null;
}
