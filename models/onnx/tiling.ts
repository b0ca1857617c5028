// The geometry of tiled translation, kept free of tensors and I/O so that it can be reasoned about and tested
// on its own: where the tiles go along an axis, how much they overlap, how their outputs blend without seams,
// and how coordinates outside the photo reflect back into it.
//
// Tiles start on multiples of the network's stride, so that every tile's strided convolutions sample the same
// grid as an untiled pass would; otherwise neighbouring tiles would disagree by a sub-pixel shift.

/** A run of pixels along one axis: [start, start + size). */
export interface Span {
  start: number;
  size: number;
}

export const roundUpTo = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

/** Overlap between neighbouring tiles: a quarter of the tile, 32 to 64 px, on the stride grid. */
export function chooseOverlap(tile: number, stride: number): number {
  return Math.max(stride, Math.floor(Math.min(64, tile / 2 - stride) / stride) * stride);
}

/**
 * Index i mirrored into [0, n) without repeating the edge pixel (ONNX/NumPy "reflect"), folding as many times as
 * needed so that even a photo smaller than the padding has a defined value everywhere.
 */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * Tiles of at most `tile` px covering [0, length), with at least `overlap` px shared by neighbours, spread evenly,
 * starting on multiples of `stride`. As few tiles as possible, each only as large as that many tiles need (so a
 * photo slightly wider than two tiles does not pay for three full ones), all of one size; `fixed` keeps exactly
 * `tile` (models with a fixed input size). `length` and `tile` must be multiples of `stride`. A length that fits
 * in one tile gets one tile of exactly that length.
 */
export function planAxis(length: number, tile: number, overlap: number, stride: number, fixed = false): Span[] {
  if (length % stride !== 0 || tile % stride !== 0) throw new Error(`planAxis: length ${length} and tile ${tile} must be multiples of the stride ${stride}`);
  if (length <= tile) return [{ start: 0, size: length }];
  if (overlap * 2 > tile - stride) throw new Error(`planAxis: overlap ${overlap} is too large for tiles of ${tile} px`);
  for (let count = 2; ; count++) {
    const size = fixed ? tile : Math.min(tile, roundUpTo(Math.ceil((length + (count - 1) * overlap) / count), stride));
    const starts = Array.from({ length: count }, (_, i) => Math.floor((i * (length - size)) / (count - 1) / stride) * stride);
    const sharesEnough = starts.every((s, i) => i === 0 || starts[i - 1] + size - s >= overlap);
    if (sharesEnough) return starts.map((start) => ({ start, size }));
  }
}

/**
 * Blend weights of each span, one value per pixel. Where two tiles overlap, a raised-cosine ramp half as wide as
 * `overlap`, centred in the shared region, hands over from one to the other; the quarter of the overlap nearest
 * each tile's edge (where the tile saw the least context) gets weight 0. The weights of all spans sum to exactly 1
 * at every position, so the blended output needs no normalisation.
 */
export function axisWeights(spans: Span[], overlap: number): Float32Array[] {
  const halfRamp = Math.max(1, Math.floor(overlap / 8));
  // Centre of the region shared by span i and span i + 1.
  const centres = spans.slice(1).map((next, i) => (next.start + spans[i].start + spans[i].size) / 2);
  const incoming = (p: number, centre: number) => {
    const t = (p + 0.5 - (centre - halfRamp)) / (2 * halfRamp);
    return t <= 0 ? 0 : t >= 1 ? 1 : 0.5 - 0.5 * Math.cos(Math.PI * t);
  };
  return spans.map((span, i) => {
    const weights = new Float32Array(span.size);
    for (let k = 0; k < span.size; k++) {
      const p = span.start + k;
      const rise = i > 0 ? incoming(p, centres[i - 1]) : 1;
      const fall = i < spans.length - 1 ? 1 - incoming(p, centres[i]) : 1;
      weights[k] = rise * fall;
    }
    return weights;
  });
}

/** Where the tiles of a whole photo go. Coordinates are in the padded photo; the photo sits at its top-left. */
export interface TilePlan {
  width: number;
  height: number;
  /** Width and height after padding to the stride (and, for fixed-size models, to at least one tile). */
  paddedWidth: number;
  paddedHeight: number;
  columns: Span[];
  rows: Span[];
  columnWeights: Float32Array[];
  rowWeights: Float32Array[];
  overlap: number;
}

export interface TileOptions {
  width: number;
  height: number;
  /** Largest tile the model may be given, per axis; multiples of `stride`. */
  tileWidth: number;
  tileHeight: number;
  stride: number;
  /** Models with a fixed input size: every tile is exactly tileWidth × tileHeight. */
  fixedSize: boolean;
  overlap?: number;
}

export function planTiles(o: TileOptions): TilePlan {
  for (const [name, v] of [['tile width', o.tileWidth], ['tile height', o.tileHeight]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v % o.stride !== 0) throw new Error(`${name} ${v} must be a positive multiple of the stride ${o.stride}`);
  }
  // At least four strides, so that the deepest feature map still has room for the network's own reflection padding.
  const pad = (n: number, tile: number) => Math.max(roundUpTo(n, o.stride), o.fixedSize ? tile : 4 * o.stride);
  const paddedWidth = pad(o.width, o.tileWidth);
  const paddedHeight = pad(o.height, o.tileHeight);
  const overlap = o.overlap ?? chooseOverlap(Math.min(o.tileWidth, o.tileHeight), o.stride);
  const columns = planAxis(paddedWidth, o.tileWidth, overlap, o.stride, o.fixedSize);
  const rows = planAxis(paddedHeight, o.tileHeight, overlap, o.stride, o.fixedSize);
  return {
    width: o.width,
    height: o.height,
    paddedWidth,
    paddedHeight,
    columns,
    rows,
    columnWeights: axisWeights(columns, overlap),
    rowWeights: axisWeights(rows, overlap),
    overlap,
  };
}
