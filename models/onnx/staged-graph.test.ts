// What staged translation reads from a graph: scales, norms, cuts and reach; and which graphs it leaves alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalMeanModelBytes, texturedPhoto, tinyGeneratorBytes } from './convert-fixtures.js';
import { openModel } from './runtime.js';
import { analyseGraph } from './staged-graph.js';
import { planStages } from './staged-plan.js';
import { createTranslator } from './translate.js';

test('a ResNet generator: its scales, its norms, the block outputs as cuts, and how far a part reaches', async () => {
  const graph = analyseGraph(await tinyGeneratorBytes({ ngf: 8, blocks: 3 }))!;
  assert.ok(graph);
  // Stem, two downsamplings, two per block, two upsamplings.
  assert.equal(graph.norms.length, 3 + 2 * 3 + 2);
  assert.deepEqual(graph.norms.map((n) => graph.sites.get(n.input)!.scale), [1, 2, 4, 4, 4, 4, 4, 4, 4, 2, 1]);
  assert.deepEqual(graph.norms.map((n) => n.channels), [8, 16, 32, 32, 32, 32, 32, 32, 32, 16, 8]);
  assert.equal(graph.sites.get(graph.output)!.scale, 1);
  // Inside a block only its output is a cut: the skip connection bypasses the rest.
  const blockNorms = graph.norms.slice(3, 9).map((n) => n.input);
  assert.ok(blockNorms.every((t) => !graph.cuts.includes(t)), 'a block norm input is no cut');
  assert.ok(graph.cuts.includes(graph.norms[0].input) && graph.cuts.includes(graph.output));
  // The 7×7 stem with its reflection padding of 3 reaches 3 pixels each way.
  const stem = graph.stageGraph([graph.norms[0].input], [graph.input]);
  assert.deepEqual(stem.reach.get(graph.norms[0].input), { low: -3, high: 3 });
  // The stride-2 3×3 after it: one pixel of its input (1 photo pixel) before, one after the stride's two.
  const down = graph.stageGraph([graph.norms[1].input], [graph.norms[0].input]);
  assert.deepEqual(down.reach.get(graph.norms[1].input), { low: -1, high: 1 });
  assert.deepEqual(down.frozenNorms, [0]);
});

test('the plan keeps every convolution to one run when memory allows, and fits a small budget by running parts again', async () => {
  const graph = analyseGraph(await tinyGeneratorBytes({ ngf: 8, blocks: 3 }))!;
  const roomy = planStages(graph, 480, 360, 2 ** 30);
  const tight = planStages(graph, 480, 360, 4 * 32 * 120 * 90 * 2.5); // two and a half of a block's tensors
  const convWork = graph.workPerPixel.reduce((a, b) => a + b, 0) * 480 * 360;
  assert.ok(Math.abs(roomy.work - convWork) < 1e-6 * convWork, 'roomy: each node once');
  assert.ok(tight.work > roomy.work && tight.peakBytes <= 4 * 32 * 120 * 90 * 2.5 + 3 * 480 * 360 * 4, `tight: ${tight.work} work, ${tight.peakBytes} bytes`);
});

test("at any budget, stages keep and measure only tensors of the photo's size over their scale (never a padded one)", async () => {
  const graph = analyseGraph(await tinyGeneratorBytes({ ngf: 8, blocks: 3 }))!;
  const padded = graph.nodes.filter((n) => n.opType === 'Pad').map((n) => n.output![0]);
  assert.ok(padded.length > 0 && padded.every((t) => !graph.sites.get(t)!.aligned && graph.sites.get(t)!.scale > 0));
  for (let budget = 1e4; budget < 1e9; budget *= 1.5) {
    for (const stage of planStages(graph, 480, 360, budget).stages)
      assert.ok(stage.outputs.every((t) => graph.sites.get(t)!.aligned), `budget ${budget}: ${stage.outputs.join(', ')}`);
  }
});

test('a graph reaching across the whole photo is not staged: it is tiled with measured statistics, as before', async () => {
  const bytes = globalMeanModelBytes();
  assert.equal(analyseGraph(bytes), null);
  const model = await openModel(bytes, { device: 'cpu', threads: 1 });
  const translator = await createTranslator(model, bytes);
  try {
    const photo = texturedPhoto(200, 150, 2);
    let tiles = 0;
    const tiled = await translator.translate(photo, { tile: 64, range: '-1,1', onTile: (_, total) => (tiles = total) });
    const whole = await translator.translate(photo, { tile: 256, range: '-1,1' });
    assert.ok(tiles > 1);
    let sum = 0;
    for (let i = 0; i < whole.length; i++) sum += Math.abs(whole[i] - tiled[i]);
    // The norm's statistics are the whole photo's; the per-tile means that the graph adds differ (by about 12 levels).
    assert.ok(sum / whole.length < 20, `tiles differ from the whole pass by ${sum / whole.length} levels on average`);
  } finally {
    await translator.dispose();
    await model.dispose();
  }
});
