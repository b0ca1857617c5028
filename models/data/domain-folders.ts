// The one rule for the two folders of an unpaired translation (CycleGAN, CUT), applied by the CLI and the
// studio alike: domain A and domain B must be two different sets of images. The same folder twice, by path or
// through a link, or one folder inside the other (training lists subfolders too, so B's images would be A's as
// well), would teach the translation nothing.
import { UsageError } from '../errors.js';
import { isInsideFolder } from '../output-folder.js';

/** Throws UsageError, naming both folders, when `a` and `b` are not two separate sets of images. */
export async function checkDomainFolders(a: string, b: string): Promise<void> {
  const bInA = await isInsideFolder(b, a);
  const aInB = await isInsideFolder(a, b);
  if (!bInA && !aInB) return;
  const why = bInA && aInB ? `are the same folder (${a})` : bInA ? `overlap: ${b} is inside ${a}` : `overlap: ${a} is inside ${b}`;
  throw new UsageError(
    `Domain A and domain B ${why}, and training reads subfolders too, so both domains would hold the same images: ` +
      'a translation learns from two different sets of images. Choose another folder for domain B.',
  );
}
