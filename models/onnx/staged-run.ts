// Runs a staged plan (staged-plan.ts) over one photo: each stage, tile by tile over the tensors kept whole so far,
// keeps what the plan says and measures its norm's statistics over the pixels each tile owns, so the result is
// the whole pass's, whatever the photo's size. Tiles read margins as wide as their outputs reach and keep only
// what they own: no blending, no seams.
import type { RunResult } from './model.js';
import { normAffineNames, type StageGraph, type StagedGraph } from './staged-graph.js';
import { stageTiles, type StagedPlan } from './staged-plan.js';
import { readTile } from './tile-pixels.js';
import type { RgbPixels, ValueRange } from './translate.js';

/** A stage's graph, opened on the model's device. */
export interface StageSession {
  run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>): Promise<Record<string, RunResult>>;
}

export interface StagedRunOptions {
  /** Bytes the densest tensor of a tile may take (what a tile of the model's default side takes). */
  tileBytes: number;
  signal?: AbortSignal;
  /** Before the first tile: how many tile runs the photo takes. */
  onPlan?: (tiles: number) => void;
  /** After each tile: tile runs done and in all, and the share of the plan's work done (0..1). */
  onTile?: (done: number, total: number, work: number) => void;
}

interface Whole {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/**
 * The output over the (stride-padded) photo as planes [3, height, width]. `parts` gives each stage's graph and
 * session (opened once per translator, reused across photos); null when the photo is not on a stage's grid.
 */
export async function runStaged(
  graph: StagedGraph,
  plan: StagedPlan,
  photo: RgbPixels,
  width: number,
  height: number,
  range: ValueRange,
  parts: (stageIndex: number) => Promise<{ graph: StageGraph; session: StageSession }>,
  options: StagedRunOptions,
): Promise<Float32Array | null> {
  const layouts = [];
  for (const [i, stage] of plan.stages.entries()) {
    const part = await parts(i);
    const tiles = stageTiles(graph, stage, part.graph.reach, part.graph.nodes, width, height, options.tileBytes);
    if (!tiles) return null;
    layouts.push({ stage, part, tiles });
  }
  const tileWork = (stageWork: number, rowSize: number, columnSize: number) => stageWork * rowSize * columnSize;
  const totalWork = layouts.reduce((sum, l) => sum + l.tiles.rows.reduce((s, r) => s + l.tiles.columns.reduce((c, col) => c + tileWork(l.stage.workPerPixel + 1, r.read.size, col.read.size), 0), 0), 0);
  const totalTiles = layouts.reduce((sum, l) => sum + l.tiles.rows.length * l.tiles.columns.length, 0);
  options.onPlan?.(totalTiles);
  let tilesDone = 0;
  let workDone = 0;

  const whole = new Map<string, Whole>();
  const affine = new Map<number, { a: Float32Array; b: Float32Array }>();
  const sizeOf = (t: string) => {
    const { scale, channels } = graph.sites.get(t)!;
    return { channels, height: height / scale, width: width / scale };
  };
  const scaleOf = (t: string) => graph.sites.get(t)!.scale;

  for (const { stage, part, tiles } of layouts) {
    const measured = stage.measures === null ? null : graph.norms[stage.measures];
    const sums = measured ? new Float64Array(measured.channels) : null;
    const squares = measured ? new Float64Array(measured.channels) : null;
    for (const row of tiles.rows) {
      for (const column of tiles.columns) {
        options.signal?.throwIfAborted();
        const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
        for (const t of stage.inputs) {
          if (t === graph.input) {
            feeds[t] = { data: readTile(photo, column.read.start, row.read.start, column.read.size, row.read.size, range), dims: [1, 3, row.read.size, column.read.size] };
            continue;
          }
          const scale = scaleOf(t);
          const source = whole.get(t)!;
          const region = { top: row.read.start / scale, left: column.read.start / scale, height: row.read.size / scale, width: column.read.size / scale };
          feeds[t] = { data: copyRegion(source, region), dims: [1, source.channels, region.height, region.width] };
        }
        for (const k of part.graph.frozenNorms) {
          const [a, b] = normAffineNames(k);
          const values = affine.get(k)!;
          feeds[a] = { data: values.a, dims: [values.a.length, 1, 1] };
          feeds[b] = { data: values.b, dims: [values.b.length, 1, 1] };
        }
        const result = await part.session.run(feeds);
        for (const o of stage.outputs) {
          const scale = scaleOf(o);
          const { channels } = sizeOf(o);
          const out = result[o];
          const tileHeight = row.read.size / scale;
          const tileWidth = column.read.size / scale;
          if (out.dims.join() !== [1, channels, tileHeight, tileWidth].join())
            throw new Error(`staged translation: a tile's ${o} came out [${out.dims.join(', ')}], expected [1, ${channels}, ${tileHeight}, ${tileWidth}]`);
          const owned = {
            top: (row.own.start - row.read.start) / scale,
            left: (column.own.start - column.read.start) / scale,
            height: row.own.size / scale,
            width: column.own.size / scale,
          };
          if (stage.keeps.includes(o)) {
            const size = sizeOf(o);
            if (owned.height === size.height && owned.width === size.width) whole.set(o, { data: out.data, ...size });
            else {
              if (!whole.has(o)) whole.set(o, { data: new Float32Array(size.channels * size.height * size.width), ...size });
              pasteRegion(out.data, tileHeight, tileWidth, owned, whole.get(o)!, row.own.start / scale, column.own.start / scale);
            }
          }
          if (measured && o === measured.input) accumulate(out.data, channels, tileHeight, tileWidth, owned, sums!, squares!);
        }
        tilesDone++;
        workDone += tileWork(stage.workPerPixel + 1, row.read.size, column.read.size);
        options.onTile?.(tilesDone, totalTiles, workDone / totalWork);
      }
    }
    if (measured) {
      const count = sizeOf(measured.input).height * sizeOf(measured.input).width;
      const a = new Float32Array(measured.channels);
      const b = new Float32Array(measured.channels);
      for (let c = 0; c < measured.channels; c++) {
        const mean = sums![c] / count;
        const variance = Math.max(0, squares![c] / count - mean * mean);
        // (x − mean) / √(var + ε) · scale + bias  =  x · a + b
        a[c] = measured.scale[c] / Math.sqrt(variance + measured.epsilon);
        b[c] = measured.bias[c] - mean * a[c];
      }
      affine.set(stage.measures!, { a, b });
    }
    for (const t of stage.releases) whole.delete(t);
  }
  return whole.get(graph.output)!.data;
}

interface Region {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** A region of a whole tensor as its own [C, height, width]. */
function copyRegion(source: Whole, r: Region): Float32Array {
  if (r.height === source.height && r.width === source.width) return source.data;
  const out = new Float32Array(source.channels * r.height * r.width);
  for (let c = 0; c < source.channels; c++) {
    for (let y = 0; y < r.height; y++) {
      const from = (c * source.height + r.top + y) * source.width + r.left;
      out.set(source.data.subarray(from, from + r.width), (c * r.height + y) * r.width);
    }
  }
  return out;
}

/** The owned region of a tile's output into the whole tensor at (top, left). */
function pasteRegion(tile: Float32Array, tileHeight: number, tileWidth: number, owned: Region, target: Whole, top: number, left: number): void {
  for (let c = 0; c < target.channels; c++) {
    for (let y = 0; y < owned.height; y++) {
      const from = (c * tileHeight + owned.top + y) * tileWidth + owned.left;
      target.data.set(tile.subarray(from, from + owned.width), (c * target.height + top + y) * target.width + left);
    }
  }
}

/** Per-channel sums of the owned values and of their squares, in float64 (millions of values per channel). */
function accumulate(tile: Float32Array, channels: number, tileHeight: number, tileWidth: number, owned: Region, sums: Float64Array, squares: Float64Array): void {
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let square = 0;
    for (let y = 0; y < owned.height; y++) {
      const from = (c * tileHeight + owned.top + y) * tileWidth + owned.left;
      for (let x = from; x < from + owned.width; x++) {
        const v = tile[x];
        sum += v;
        square += v * v;
      }
    }
    sums[c] += sum;
    squares[c] += square;
  }
}
