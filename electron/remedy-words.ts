// How each transport names the remedies a message carries (models/errors.ts): `darkroom` a setting as its flag and an
// action as the command that does it; the studio a setting as its form's field (the label the form shows, from the
// one description of each option) and an action as its button. Everything a person reads from the library goes
// through one of these: the command line's output (cliText), the studio's answers, events and errors (api.ts).
import { sayRemedies, sayRemediesIn, type Remedy } from '../models/errors.js';
import { FAMILY_OPTIONS } from '../models/families/family-options.js';
import { SETTING_LABELS } from '../models/train/setting-labels.js';
import { kebabCase } from './cli/args.js';

const flag = (name: string, value?: string | number) => `--${kebabCase(name)}${value === undefined ? '' : ` ${value}`}`;

export function cliWords(remedy: Remedy): string {
  if ('option' in remedy) return flag(remedy.option, remedy.value);
  switch (remedy.action) {
    case 'resume': {
      const settings = Object.entries(remedy.with ?? {}).map(([name, value]) => ` ${flag(name, value)}`);
      return `\`darkroom train --resume ${remedy.run}${settings.join('')}\``;
    }
    case 'stop':
      return 'Ctrl+C';
    case 'devices':
      return '`darkroom devices`';
    case 'convert-checkpoint':
      return `\`darkroom import ${remedy.file}\` or \`darkroom convert --model ${remedy.file}\``;
    case 'command':
      return `\`darkroom ${remedy.command}\``;
  }
}

/** The label the studio shows for a setting: a family option's own label, else the Train or Convert form's. */
export function settingLabel(name: string): string | undefined {
  for (const options of Object.values(FAMILY_OPTIONS)) {
    const found = options.find((o) => o.name === name);
    if (found) return found.label;
  }
  return SETTING_LABELS[name];
}

export function studioWords(remedy: Remedy): string {
  if ('option' in remedy) {
    const label = settingLabel(remedy.option);
    // A setting the studio has no field for is one of the command line's: say so rather than name a flag bare.
    if (label === undefined) return `${flag(remedy.option, remedy.value)} (a setting of the \`darkroom\` command line)`;
    return `“${label}”${remedy.value === undefined ? '' : ` ${remedy.value}`}`;
  }
  switch (remedy.action) {
    case 'resume': {
      const settings = Object.keys(remedy.with ?? {});
      if (settings.length === 0) return 'the run’s Resume button (Runs)';
      if (settings.length === 1 && settings[0] === 'iterations') return `the run’s Train more, to ${remedy.with!.iterations} iterations in all (Runs)`;
      // The studio resumes a run with its own settings: another backend is the command line's.
      return `${cliWords(remedy)} on the command line`;
    }
    case 'stop':
      return 'the run’s Stop button';
    case 'devices':
      return 'the Devices view';
    case 'convert-checkpoint':
      return 'Convert, choosing the checkpoint as the model (or import it in Models)';
    case 'command':
      return `${cliWords(remedy)} on the command line`;
  }
}

/** A message from the library as the command line says it. */
export const cliText = (text: string): string => sayRemedies(text, cliWords);

/** An event or report with its messages as the command line says them (--json, report files). */
export const inCliWords = <T>(value: T): T => sayRemediesIn(value, cliWords);

/** An answer, event or error message with its messages as the studio says them. */
export const inStudioWords = <T>(value: T): T => sayRemediesIn(value, studioWords);
