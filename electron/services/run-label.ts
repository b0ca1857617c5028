// What a run trains, in the words the studio shows beside its name: the family's title, except that a CUT run
// says which of its two modes it is (a FastCUT run is not "cut", nor "CUT / FastCUT").
import { FAMILIES } from '../../models/families/index.js';
import type { FamilyId } from '../api.js';

export function runLabel(family: FamilyId, config: Record<string, unknown>): string {
  if (family === 'cut') return config.mode === 'fastcut' ? 'FastCUT' : 'CUT';
  return FAMILIES[family].title;
}
