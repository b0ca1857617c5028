// The UI bundle carries no back-end code: what the renderer takes from electron/ and models/ at run time (device
// lists, family and backend names, transport constants) comes from modules that import nothing themselves, and
// electron/api.ts (with its request validators) is imported for its types only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rendererSrc = dirname(fileURLToPath(import.meta.url));
const rendererRoot = dirname(rendererSrc);

/** `import … from` and `export … from` statements that load a module at run time (`import type` does not). */
function runtimeImports(source: string): string[] {
  const statement = /^\s*(?:import|export)\s+(type\s+)?[\s\S]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  return [...source.matchAll(statement)].filter((m) => !m[1]).map((m) => m[2] ?? m[3]);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('the renderer loads code from outside renderer/ only from modules that import nothing at run time', () => {
  const outside = new Map<string, string[]>();
  for (const file of sources(rendererSrc)) {
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      if (!relative(rendererRoot, target).startsWith('..')) continue;
      outside.set(target, [...(outside.get(target) ?? []), relative(rendererRoot, file)]);
    }
  }
  assert.ok(outside.size > 0, 'the renderer takes some plain data from models/ (device lists, names)');
  for (const [target, importers] of outside) {
    const name = relative(dirname(rendererRoot), target);
    assert.notEqual(name, join('electron', 'api.ts'), `${importers.join(', ')} must import electron/api.ts with "import type"`);
    assert.deepEqual(runtimeImports(readFileSync(target, 'utf8')), [], `${name}, loaded by ${importers.join(', ')}, must import nothing at run time`);
  }
});
