// Procedural day/night landscapes: sky, sun or moon, stars, clouds, layered hills, trees and houses whose
// windows are dark by day and lit at night. All geometry comes from the seed alone; the time of day only
// chooses colours and opacities, so the day and night pictures of one seed are a pixel-aligned ground-truth
// pair (the SVG documents differ only in fill/stop-color/opacity values).
//
// Used for the bundled sample project (train day→night without pairs, check against the true pairs) and tests.

import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../rng.js';
import { rasterizeSvg } from './image-io.js';
import { writeFileAtomic } from '../atomic-fs.js';

export type TimeOfDay = 'day' | 'night';

/** The scene is drawn in a VIEW × VIEW coordinate system and rendered at any pixel size. */
export const VIEW = 512;

export interface Ridge {
  /** Height y of the ridge at x = 0, STEP, 2·STEP, … VIEW (VIEW/STEP + 1 values). */
  ys: number[];
}
export interface Star {
  x: number;
  y: number;
  r: number;
  /** Brightness at night, 0..1. */
  b: number;
}
export interface Cloud {
  puffs: { cx: number; cy: number; rx: number; ry: number }[];
}
export interface Tree {
  x: number;
  /** y of the foot of the trunk. */
  y: number;
  h: number;
  kind: 'round' | 'pine';
  /** Which hill it stands on: 1 mid, 2 near. */
  layer: 1 | 2;
  shade: number;
}
export interface Window {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Lit at night? */
  lit: boolean;
}
export interface House {
  x: number;
  /** y of the bottom of the walls. */
  y: number;
  w: number;
  h: number;
  roofH: number;
  overhang: number;
  wall: number;
  roof: number;
  door: { x: number; w: number; h: number };
  chimney: { x: number; w: number; h: number } | null;
  windows: Window[];
}
export interface SceneGeometry {
  seed: number;
  body: { x: number; y: number; r: number };
  craters: { dx: number; dy: number; r: number }[];
  stars: Star[];
  clouds: Cloud[];
  /** Far, mid and near hills. */
  hills: [Ridge, Ridge, Ridge];
  trees: Tree[];
  houses: House[];
}

const STEP = 8;

function r1(v: number): number {
  return Math.round(v * 10) / 10;
}

function makeRidge(rng: Rng, base: number, amplitude: number): Ridge {
  const waves = Array.from({ length: 3 }, (_, i) => ({
    freq: (0.6 + rng.uniform() * 1.2) * (i + 1),
    phase: rng.uniform() * Math.PI * 2,
    amp: amplitude / (i + 1) ** 1.3,
  }));
  const ys: number[] = [];
  for (let x = 0; x <= VIEW; x += STEP) {
    let y = base;
    for (const w of waves) y -= w.amp * Math.sin((x / VIEW) * Math.PI * 2 * w.freq * 0.5 + w.phase);
    ys.push(r1(y));
  }
  return { ys };
}

/** Height of a ridge at x (linear between samples). */
function ridgeAt(ridge: Ridge, x: number): number {
  const t = Math.min(Math.max(x, 0), VIEW) / STEP;
  const i = Math.min(Math.floor(t), ridge.ys.length - 2);
  const f = t - i;
  return ridge.ys[i] * (1 - f) + ridge.ys[i + 1] * f;
}

/** All the geometry of the scene for `seed` (independent of time of day). */
export function sceneGeometry(seed: number): SceneGeometry {
  const rng = new Rng(seed);
  const body = { x: r1(70 + rng.uniform() * 372), y: r1(60 + rng.uniform() * 100), r: r1(20 + rng.uniform() * 12) };
  const craters = Array.from({ length: 3 + rng.int(3) }, () => {
    const a = rng.uniform() * Math.PI * 2;
    const d = rng.uniform() * body.r * 0.55;
    return { dx: r1(Math.cos(a) * d), dy: r1(Math.sin(a) * d), r: r1(body.r * (0.12 + rng.uniform() * 0.18)) };
  });
  const stars: Star[] = [];
  const starCount = 50 + rng.int(50);
  for (let i = 0; i < starCount; i++) {
    const x = rng.uniform() * VIEW;
    const y = rng.uniform() * 300;
    const r = 0.6 + rng.uniform() ** 3 * 1.6;
    const b = 0.35 + rng.uniform() * 0.65;
    if (Math.hypot(x - body.x, y - body.y) < body.r * 2) continue; // not in front of the moon's glow
    stars.push({ x: r1(x), y: r1(y), r: r1(r), b: Math.round(b * 100) / 100 });
  }
  const clouds: Cloud[] = Array.from({ length: 1 + rng.int(3) }, () => {
    const cx = rng.uniform() * VIEW;
    const cy = 50 + rng.uniform() * 150;
    const scale = 0.7 + rng.uniform() * 0.8;
    return {
      puffs: Array.from({ length: 3 + rng.int(3) }, (_, j) => ({
        cx: r1(cx + (j - 2) * 22 * scale + rng.uniform() * 10),
        cy: r1(cy - rng.uniform() * 12 * scale),
        rx: r1((24 + rng.uniform() * 18) * scale),
        ry: r1((12 + rng.uniform() * 8) * scale),
      })),
    };
  });
  const hills: [Ridge, Ridge, Ridge] = [
    makeRidge(rng, 300 + rng.uniform() * 30, 30 + rng.uniform() * 25),
    makeRidge(rng, 355 + rng.uniform() * 25, 20 + rng.uniform() * 20),
    makeRidge(rng, 420 + rng.uniform() * 20, 12 + rng.uniform() * 14),
  ];

  // Houses on the near hill, in non-overlapping slots.
  const houses: House[] = [];
  const houseCount = 2 + rng.int(4);
  const slotWidth = VIEW / houseCount;
  for (let i = 0; i < houseCount; i++) {
    if (houseCount > 3 && rng.uniform() < 0.2) continue;
    const w = 46 + rng.uniform() * Math.min(40, slotWidth - 60);
    const x = i * slotWidth + 8 + rng.uniform() * Math.max(0, slotWidth - w - 16);
    const y = Math.max(ridgeAt(hills[2], x), ridgeAt(hills[2], x + w)) + 4;
    const h = 30 + rng.uniform() * 22;
    const roofH = 16 + rng.uniform() * 16;
    const floors = h > 42 ? 2 : 1;
    const perFloor = w > 70 ? 3 : 2;
    const winW = 8 + rng.uniform() * 3;
    const winH = 9 + rng.uniform() * 4;
    const doorW = 9 + rng.uniform() * 3;
    const doorSlot = rng.int(perFloor + 1); // the door replaces one ground-floor window slot
    const slots = perFloor + 1;
    const top = y - h;
    const door = { x: r1(x + (w * (doorSlot + 0.5)) / slots - doorW / 2), w: r1(doorW), h: r1(Math.min(h * 0.55, 20)) };
    const windows: Window[] = [];
    for (let f = 0; f < floors; f++) {
      const centreY = floors === 1 ? top + h * 0.45 : top + h * (f === 0 ? 0.27 : 0.68);
      for (let s = 0; s < slots; s++) {
        if (f === floors - 1 && s === doorSlot) continue; // the door is here
        const cx = x + (w * (s + 0.5)) / slots;
        windows.push({ x: r1(cx - winW / 2), y: r1(centreY - winH / 2), w: r1(winW), h: r1(winH), lit: rng.uniform() < 0.75 });
      }
    }
    if (!windows.some((win) => win.lit) && windows.length) windows[0].lit = true;
    const chimney = rng.uniform() < 0.6 ? { x: r1(x + w * (0.6 + rng.uniform() * 0.2)), w: r1(6 + rng.uniform() * 3), h: r1(roofH * 0.8) } : null;
    houses.push({
      x: r1(x),
      y: r1(y),
      w: r1(w),
      h: r1(h),
      roofH: r1(roofH),
      overhang: r1(4 + rng.uniform() * 4),
      wall: rng.int(WALLS.day.length),
      roof: rng.int(ROOFS.day.length),
      door,
      chimney,
      windows,
    });
  }

  const trees: Tree[] = [];
  const treeCount = 4 + rng.int(8);
  for (let i = 0; i < treeCount; i++) {
    const layer: 1 | 2 = rng.uniform() < 0.5 ? 1 : 2;
    const x = rng.uniform() * VIEW;
    const h = (layer === 1 ? 18 : 30) + rng.uniform() * (layer === 1 ? 14 : 26);
    if (layer === 2 && houses.some((hs) => x > hs.x - 12 && x < hs.x + hs.w + 12)) continue; // keep houses visible
    const y = ridgeAt(hills[layer], x) + (layer === 1 ? 6 : 10);
    trees.push({ x: r1(x), y: r1(y), h: r1(h), kind: rng.uniform() < 0.5 ? 'round' : 'pine', layer, shade: rng.int(3) });
  }
  trees.sort((a, b) => a.layer - b.layer || a.y - b.y);
  return { seed, body, craters, stars, clouds, hills, trees, houses };
}

// ───────────────────────────────────────────── palettes

interface Palette {
  sky: [string, string, string];
  body: string;
  bodyGlow: string;
  bodyGlowOpacity: number;
  crater: string;
  craterOpacity: number;
  starOpacity: number;
  cloud: string;
  cloudOpacity: number;
  hills: [string, string, string];
  trunk: string;
  canopy: [string, string, string];
  window: string;
  litWindow: string;
  glow: string;
  glowOpacity: number;
  door: string;
  frame: string;
  haze: string;
  hazeOpacity: number;
}

const WALLS = {
  day: ['#efe3c8', '#e8d2b0', '#f4efe6', '#d9b99b', '#c9d3dc'],
  night: ['#4a4c5e', '#46465a', '#505468', '#43404f', '#3f4a5c'],
};
const ROOFS = {
  day: ['#a8432f', '#7b4a32', '#4f5b66', '#8c2f2f', '#5e4b3c'],
  night: ['#2e1e27', '#2a2026', '#1f2530', '#2b1a22', '#241f24'],
};

const PALETTES: Record<TimeOfDay, Palette> = {
  day: {
    sky: ['#3f7fd1', '#79b1e6', '#d3ecf7'],
    body: '#fff6cf',
    bodyGlow: '#fff3b0',
    bodyGlowOpacity: 0.55,
    crater: '#c9ccd6',
    craterOpacity: 0,
    starOpacity: 0,
    cloud: '#ffffff',
    cloudOpacity: 0.9,
    hills: ['#9dbfa8', '#6ea55f', '#4f8d3c'],
    trunk: '#6b4a2b',
    canopy: ['#2f6f32', '#3d7f36', '#4f8f3a'],
    window: '#33404f',
    litWindow: '#33404f',
    glow: '#ffd36b',
    glowOpacity: 0,
    door: '#6e4b33',
    frame: '#f7f4ee',
    haze: '#ffffff',
    hazeOpacity: 0.3,
  },
  night: {
    sky: ['#03050f', '#0b1434', '#23335e'],
    body: '#eef1f7',
    bodyGlow: '#9fb3df',
    bodyGlowOpacity: 0.25,
    crater: '#c9ccd6',
    craterOpacity: 0.7,
    starOpacity: 1,
    cloud: '#2b3658',
    cloudOpacity: 0.65,
    hills: ['#1b2a3f', '#142433', '#0f1d22'],
    trunk: '#15100c',
    canopy: ['#0b1a14', '#0e1f16', '#112417'],
    window: '#101624',
    litWindow: '#ffcf5e',
    glow: '#ffc24d',
    glowOpacity: 0.35,
    door: '#1d1714',
    frame: '#2c2d38',
    haze: '#33456e',
    hazeOpacity: 0.3,
  },
};

// ───────────────────────────────────────────── SVG

function ridgePath(ridge: Ridge): string {
  const pts = ridge.ys.map((y, i) => `${i * STEP} ${y}`);
  return `M0 ${VIEW} L${pts.join(' L')} L${VIEW} ${VIEW} Z`;
}

/** The SVG document for a scene. Day and night documents differ only in colour and opacity values. */
export function sceneSvg(geometry: SceneGeometry, time: TimeOfDay, size: number): string {
  const p = PALETTES[time];
  const g = geometry;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${VIEW} ${VIEW}">`,
    '<defs>',
    `<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${p.sky[0]}"/>` +
      `<stop offset="0.55" stop-color="${p.sky[1]}"/><stop offset="0.85" stop-color="${p.sky[2]}"/></linearGradient>`,
    `<radialGradient id="bodyglow"><stop offset="0" stop-color="${p.bodyGlow}" stop-opacity="1"/>` +
      `<stop offset="1" stop-color="${p.bodyGlow}" stop-opacity="0"/></radialGradient>`,
    `<radialGradient id="winglow"><stop offset="0" stop-color="${p.glow}" stop-opacity="1"/>` +
      `<stop offset="1" stop-color="${p.glow}" stop-opacity="0"/></radialGradient>`,
    `<linearGradient id="haze" gradientUnits="userSpaceOnUse" x1="0" y1="250" x2="0" y2="420">` +
      `<stop offset="0" stop-color="${p.haze}" stop-opacity="0"/><stop offset="1" stop-color="${p.haze}" stop-opacity="1"/></linearGradient>`,
    '</defs>',
    `<rect width="${VIEW}" height="${VIEW}" fill="url(#sky)"/>`,
  );
  out.push(`<g fill="#ffffff" opacity="${p.starOpacity}">`);
  for (const s of g.stars) out.push(`<circle cx="${s.x}" cy="${s.y}" r="${s.r}" opacity="${s.b}"/>`);
  out.push('</g>');
  const b = g.body;
  out.push(`<circle cx="${b.x}" cy="${b.y}" r="${r1(b.r * 2.6)}" fill="url(#bodyglow)" opacity="${p.bodyGlowOpacity}"/>`);
  out.push(`<circle cx="${b.x}" cy="${b.y}" r="${b.r}" fill="${p.body}"/>`);
  out.push(`<g fill="${p.crater}" opacity="${p.craterOpacity}">`);
  for (const c of g.craters) out.push(`<circle cx="${r1(b.x + c.dx)}" cy="${r1(b.y + c.dy)}" r="${c.r}"/>`);
  out.push('</g>');
  out.push(`<g fill="${p.cloud}" opacity="${p.cloudOpacity}">`);
  for (const c of g.clouds) {
    for (const q of c.puffs) out.push(`<ellipse cx="${q.cx}" cy="${q.cy}" rx="${q.rx}" ry="${q.ry}"/>`);
  }
  out.push('</g>');

  const treeSvg = (t: Tree) => {
    const trunkW = r1(t.h * 0.12);
    const trunk = `<rect x="${r1(t.x - trunkW / 2)}" y="${r1(t.y - t.h * 0.35)}" width="${trunkW}" height="${r1(t.h * 0.35)}" fill="${p.trunk}"/>`;
    const canopy = p.canopy[t.shade];
    if (t.kind === 'pine') {
      const w = t.h * 0.36;
      return (
        trunk +
        `<path d="M${r1(t.x)} ${r1(t.y - t.h)} L${r1(t.x + w)} ${r1(t.y - t.h * 0.22)} L${r1(t.x - w)} ${r1(t.y - t.h * 0.22)} Z" fill="${canopy}"/>`
      );
    }
    const rr = t.h * 0.3;
    return (
      trunk +
      `<circle cx="${r1(t.x)}" cy="${r1(t.y - t.h + rr)}" r="${r1(rr)}" fill="${canopy}"/>` +
      `<circle cx="${r1(t.x - rr * 0.55)}" cy="${r1(t.y - t.h + rr * 1.6)}" r="${r1(rr * 0.8)}" fill="${canopy}"/>` +
      `<circle cx="${r1(t.x + rr * 0.55)}" cy="${r1(t.y - t.h + rr * 1.6)}" r="${r1(rr * 0.8)}" fill="${canopy}"/>`
    );
  };

  // Far hills with a layer of haze, then mid hills and their trees, then the near hill, houses, near trees.
  out.push(`<path d="${ridgePath(g.hills[0])}" fill="${p.hills[0]}"/>`);
  out.push(`<rect y="250" width="${VIEW}" height="${VIEW - 250}" fill="url(#haze)" opacity="${p.hazeOpacity}"/>`);
  out.push(`<path d="${ridgePath(g.hills[1])}" fill="${p.hills[1]}"/>`);
  for (const t of g.trees) if (t.layer === 1) out.push(treeSvg(t));
  out.push(`<path d="${ridgePath(g.hills[2])}" fill="${p.hills[2]}"/>`);

  for (const h of g.houses) {
    const top = r1(h.y - h.h);
    if (h.chimney) {
      out.push(`<rect x="${h.chimney.x}" y="${r1(top - h.chimney.h)}" width="${h.chimney.w}" height="${h.chimney.h}" fill="${ROOFS[time][h.roof]}"/>`);
    }
    out.push(`<rect x="${h.x}" y="${top}" width="${h.w}" height="${h.h}" fill="${WALLS[time][h.wall]}"/>`);
    out.push(
      `<path d="M${r1(h.x - h.overhang)} ${top} L${r1(h.x + h.w / 2)} ${r1(top - h.roofH)} L${r1(h.x + h.w + h.overhang)} ${top} Z" fill="${ROOFS[time][h.roof]}"/>`,
    );
    out.push(`<rect x="${h.door.x}" y="${r1(h.y - h.door.h)}" width="${h.door.w}" height="${h.door.h}" fill="${p.door}"/>`);
    for (const w of h.windows) {
      const lit = w.lit ? p.litWindow : p.window;
      const glowOpacity = w.lit ? p.glowOpacity : 0;
      out.push(
        `<ellipse cx="${r1(w.x + w.w / 2)}" cy="${r1(w.y + w.h / 2)}" rx="${r1(w.w * 1.6)}" ry="${r1(w.h * 1.5)}" fill="url(#winglow)" opacity="${glowOpacity}"/>`,
        `<rect x="${r1(w.x - 1)}" y="${r1(w.y - 1)}" width="${r1(w.w + 2)}" height="${r1(w.h + 2)}" fill="${p.frame}"/>`,
        `<rect x="${w.x}" y="${w.y}" width="${w.w}" height="${w.h}" fill="${lit}"/>`,
      );
    }
  }
  for (const t of g.trees) if (t.layer === 2) out.push(treeSvg(t));
  out.push('</svg>');
  return out.join('\n');
}

/** Renders the scene for `seed` at `time` as a size × size RGB PNG. */
export async function renderScene(seed: number, time: TimeOfDay, size: number): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new RangeError(`renderScene: size must be 8..4096, got ${size}`);
  return rasterizeSvg(sceneSvg(sceneGeometry(seed), time, size));
}

export interface SceneDatasetOptions {
  /** Images per folder. */
  count: number;
  size: number;
  /** First seed (default 1). */
  seedBase?: number;
  /**
   * 'unpaired' (default): day and night use disjoint seeds (day seedBase+2i, night seedBase+2i+1), as for
   * training an unpaired translator. 'paired': both use seedBase+i and the same file name, a ground-truth
   * test set.
   */
  split?: 'unpaired' | 'paired';
  concurrency?: number;
}

export interface SceneDatasetResult {
  day: string[];
  night: string[];
  daySeeds: number[];
  nightSeeds: number[];
}

/** The file name used for a scene seed. */
export function sceneFileName(seed: number): string {
  return `scene-${String(seed).padStart(6, '0')}.png`;
}

/**
 * Writes dir/day/*.png and dir/night/*.png (atomically), plus dir/scenes.json describing what was made.
 */
export async function writeSceneDataset(dir: string, options: SceneDatasetOptions): Promise<SceneDatasetResult> {
  const { count, size } = options;
  const seedBase = options.seedBase ?? 1;
  const split = options.split ?? 'unpaired';
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`writeSceneDataset: count must be ≥ 1, got ${count}`);
  const daySeeds = Array.from({ length: count }, (_, i) => (split === 'paired' ? seedBase + i : seedBase + 2 * i));
  const nightSeeds = Array.from({ length: count }, (_, i) => (split === 'paired' ? seedBase + i : seedBase + 2 * i + 1));
  const dayDir = join(dir, 'day');
  const nightDir = join(dir, 'night');
  await fsp.mkdir(dayDir, { recursive: true });
  await fsp.mkdir(nightDir, { recursive: true });
  const jobs: { seed: number; time: TimeOfDay; path: string }[] = [
    ...daySeeds.map((seed) => ({ seed, time: 'day' as const, path: join(dayDir, sceneFileName(seed)) })),
    ...nightSeeds.map((seed) => ({ seed, time: 'night' as const, path: join(nightDir, sceneFileName(seed)) })),
  ];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await writeFileAtomic(job.path, await renderScene(job.seed, job.time, size));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  const manifest = { generator: 'darkroom-scenes', version: 1, split, size, count, seedBase, daySeeds, nightSeeds };
  await writeFileAtomic(join(dir, 'scenes.json'), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  return {
    day: jobs.filter((j) => j.time === 'day').map((j) => j.path),
    night: jobs.filter((j) => j.time === 'night').map((j) => j.path),
    daySeeds,
    nightSeeds,
  };
}
