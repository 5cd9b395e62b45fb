import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** vega-lite spec → SVG (headless vega, no canvas) → PNG with sharp. Returns the SVG too (tests, debugging). */
export async function renderPng(spec: TopLevelSpec, path: string, scale = 2): Promise<string> {
  const vg = compile({ ...spec, config: { font: 'DejaVu Sans, sans-serif', background: 'white', ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  const svg = await view.toSVG(scale);
  view.finalize();
  await writeFile(path, await sharp(Buffer.from(svg), { density: 72 }).png().toBuffer());
  return svg;
}
