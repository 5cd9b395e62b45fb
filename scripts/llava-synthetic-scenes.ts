/**
 * Scenes for the synthetic image-text fixtures: a few coloured shapes on a 3×3 grid, described
 * by a caption and asked about in question/answer turns. Everything follows from a seeded Rng,
 * so the set is the same on every run. Small enough for a small model to learn in minutes:
 * 4 shapes × 6 colours × 9 cells, at most 3 objects per image.
 */
import { Rng } from '../src/base/random.js';

export const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
export const COLOURS = { red: '#e6194b', green: '#3cb44b', blue: '#4363d8', yellow: '#ffe119', purple: '#911eb4', orange: '#f58231' } as const;
export const ROWS = ['top', 'middle', 'bottom'] as const;
export const COLS = ['left', 'centre', 'right'] as const;

export type Shape = (typeof SHAPES)[number];
export type Colour = keyof typeof COLOURS;

export interface SceneObject {
  readonly shape: Shape;
  readonly colour: Colour;
  readonly row: number;
  readonly col: number;
}

export interface Scene {
  readonly id: string;
  readonly size: number;
  readonly background: string;
  readonly objects: readonly SceneObject[];
}

const NUMBERS = ['zero', 'one', 'two', 'three', 'four'];

export function place(row: number, col: number): string {
  if (row === 1 && col === 1) return 'in the centre';
  if (row === 1) return `on the ${COLS[col]}`;
  if (col === 1) return `at the ${ROWS[row]}`;
  return `at the ${ROWS[row]} ${COLS[col]}`;
}

export function makeScene(index: number, size = 64): Scene {
  const rng = Rng.derive(2026, 'llava-synthetic', index);
  const count = 1 + rng.int(3);
  const cells = rng.shuffle(Array.from({ length: 9 }, (_, i) => i)).slice(0, count);
  const colours = Object.keys(COLOURS) as Colour[];
  const objects = cells.map((cell) => ({ shape: SHAPES[rng.int(SHAPES.length)]!, colour: colours[rng.int(colours.length)]!, row: Math.floor(cell / 3), col: cell % 3 }));
  // Reading order (top to bottom, left to right) makes captions canonical.
  objects.sort((a, b) => a.row - b.row || a.col - b.col);
  const grey = 200 + rng.int(56);
  return { id: `synth-${String(index).padStart(4, '0')}`, size, background: `rgb(${grey},${grey},${grey})`, objects };
}

/** The scene as SVG (rendered to PNG by sharp). */
export function sceneSvg(scene: Scene): string {
  const cell = scene.size / 3;
  const r = cell * 0.38;
  const shapes = scene.objects.map((o) => {
    const cx = (o.col + 0.5) * cell;
    const cy = (o.row + 0.5) * cell;
    const fill = COLOURS[o.colour];
    switch (o.shape) {
      case 'circle': return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`;
      case 'square': return `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`;
      case 'triangle': return `<polygon points="${cx},${cy - r} ${cx + r},${cy + r} ${cx - r},${cy + r}" fill="${fill}"/>`;
      case 'diamond': return `<polygon points="${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}" fill="${fill}"/>`;
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.size}" height="${scene.size}"><rect width="100%" height="100%" fill="${scene.background}"/>${shapes.join('')}</svg>`;
}

export function caption(scene: Scene): string {
  const parts = scene.objects.map((o) => `a ${o.colour} ${o.shape} ${place(o.row, o.col)}`);
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${list[0]!.toUpperCase()}${list.slice(1)}.`;
}

/** Question/answer turns about counts, colours and positions (2 or 3 rounds). */
export function questions(scene: Scene, rng: Rng): [string, string][] {
  const o = scene.objects[rng.int(scene.objects.length)]!;
  const n = scene.objects.length;
  const pool: [string, string][] = [
    ['How many shapes are in the image?', `${NUMBERS[n]![0]!.toUpperCase()}${NUMBERS[n]!.slice(1)}.`],
    [`What colour is the ${o.shape} ${place(o.row, o.col)}?`, `It is ${o.colour}.`],
    [`Where is the ${o.colour} ${o.shape}?`, `It is ${place(o.row, o.col)}.`],
    [`Is there a ${SHAPES[(SHAPES.indexOf(o.shape) + 1) % SHAPES.length]} in the image?`,
      scene.objects.some((x) => x.shape === SHAPES[(SHAPES.indexOf(o.shape) + 1) % SHAPES.length]) ? 'Yes.' : 'No.'],
    ['Describe the image.', caption(scene)],
  ];
  return rng.shuffle(pool).slice(0, 2 + rng.int(2));
}

/** A few text-only exchanges (valid LLaVA records without an image). */
export const TEXT_ONLY: [string, string][] = [
  ['How many sides does a triangle have?', 'Three.'],
  ['How many sides does a square have?', 'Four.'],
  ['What colour do red and blue make?', 'Purple.'],
  ['What colour do yellow and blue make?', 'Green.'],
  ['Is a circle round?', 'Yes.'],
  ['How many corners does a diamond have?', 'Four.'],
];
