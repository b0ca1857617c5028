// The rule for CycleGAN's and CUT's two folders, as both the CLI and the studio apply it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDomainFolders } from './domain-folders.js';

test('two separate folders pass; the same one by path or link, or one inside the other, is refused naming them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-domains-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [day, night, inside] = [join(dir, 'day'), join(dir, 'night'), join(dir, 'day', 'dusk')];
  await mkdir(inside, { recursive: true });
  await mkdir(night);
  await symlink(day, join(dir, 'link'));
  await checkDomainFolders(day, night);
  await assert.rejects(checkDomainFolders(day, day), /are the same folder \(.*day\)/);
  await assert.rejects(checkDomainFolders(day, join(dir, 'link')), /are the same folder/);
  await assert.rejects(checkDomainFolders(day, inside), /overlap: .*dusk is inside .*day/);
  await assert.rejects(checkDomainFolders(inside, day), /overlap: .*dusk is inside .*day/);
});
