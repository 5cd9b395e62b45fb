/**
 * Golden image cases (`vlm_model/image_preprocess__*.json`, ../shared/golden/README.md §9):
 * LibMoE's `process_image` with HuggingFace's CLIP/SigLIP processors on a real image. The images
 * are third-party files: they are found beside the vectors, never copied into the project, and a
 * case whose image is absent is skipped with a message.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { decodeImage } from '../../src/ops/image/decode-image.js';
import { PROCESSORS, expandToSquare, normalise, padColour, preprocessRgb, resizeAndCrop } from '../../src/ops/image/processor.js';
import type { Check } from './compare.js';
import { REPO_ROOT } from './golden-format.js';

interface Encoded { readonly shape: number[]; readonly dtype: string; readonly encoding?: string; readonly data: unknown }

export interface ImageCase {
  readonly id: string;
  readonly file: string;
  readonly config: { readonly image: string; readonly processor: string };
  readonly inputs: { readonly image_file: string };
  readonly expected: {
    readonly source_image: { readonly rgb_sha256: string; readonly decoded_size_wh: [number, number] };
    readonly expand2square: { readonly background_rgb: number[]; readonly square_side: number; readonly square_rgb_sha256: string };
    readonly resized_uint8_hwc: Encoded;
    readonly pixel_values: Encoded;
  };
}

export interface ImageCaseResult {
  readonly id: string;
  readonly ok: boolean;
  readonly checks: Check[];
  /** Set when the case could not run: its image is not on this machine. */
  readonly skipped?: string;
}

/** Image cases under `dir/vlm_model/` (the shared and hidden layout) or directly in `dir`. */
export function listImageCases(dir: string): ImageCase[] {
  const folders = [join(dir, 'vlm_model'), dir].filter((d) => existsSync(d));
  const out: ImageCase[] = [];
  for (const folder of folders) {
    for (const f of readdirSync(folder).filter((n) => n.startsWith('image_preprocess__') && n.endsWith('.json')).sort()) {
      const doc = JSON.parse(readFileSync(join(folder, f), 'utf8')) as { cases: Omit<ImageCase, 'file'>[] };
      for (const c of doc.cases) out.push({ ...c, file: join(folder, f) });
    }
  }
  return out;
}

/**
 * The image named by `inputs.image_file` (a path relative to the generator's checkout, e.g.
 * `shared/data/llava/images/x.jpg`): looked up relative to each folder above the vectors, then
 * in $GOLDEN_IMAGES and ../shared/data/llava/images by file name.
 */
export function findImage(c: ImageCase): string | undefined {
  const rel = c.inputs.image_file;
  for (let d = dirname(c.file); ; d = dirname(d)) {
    const candidate = join(d, rel);
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) break;
  }
  const byName = [process.env['GOLDEN_IMAGES'], resolve(REPO_ROOT, '../shared/data/llava/images')].filter((d): d is string => !!d);
  return byName.map((d) => join(d, basename(rel))).find((p) => existsSync(p));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function decode(t: Encoded): Uint8Array {
  if (t.encoding !== 'base64' || typeof t.data !== 'string') throw new Error(`expected base64 tensor data, got ${t.encoding}`);
  return new Uint8Array(Buffer.from(t.data, 'base64'));
}

/**
 * README §9.4: with PIL's two-pass recipe, `resized_uint8_hwc` within 1 level on ≤ 0.5 % of pixels
 * and `pixel_values` within 1.01/(255·min std) with mean |Δ| ≤ 1e-4. (Ours is PIL's exact
 * arithmetic, so the details report 0 differences; the bounds are the README's.)
 */
export async function runImageCase(c: ImageCase): Promise<ImageCaseResult> {
  const path = findImage(c);
  if (path === undefined) return { id: c.id, ok: true, checks: [], skipped: `image ${c.inputs.image_file} not found beside ${c.file} (set GOLDEN_IMAGES)` };
  const spec = PROCESSORS[c.config.processor];
  if (spec === undefined) return { id: c.id, ok: false, checks: [{ name: 'processor', ok: false, detail: `unknown processor ${c.config.processor}` }] };
  const checks: Check[] = [];
  const want = c.expected;
  // PIL ignores the EXIF orientation: so does LibMoE, so the parity run does too.
  const decoded = await decodeImage(path, { orientation: 'ignore' });
  checks.push({ name: 'decoded RGB', ok: sha256(decoded.data) === want.source_image.rgb_sha256, detail: `${decoded.width}×${decoded.height}, sha256 ${sha256(decoded.data).slice(0, 12)}… (want ${want.source_image.decoded_size_wh.join('×')}, ${want.source_image.rgb_sha256.slice(0, 12)}…)` });
  const background = padColour(spec);
  checks.push({ name: 'expand2square background', ok: background.join() === want.expand2square.background_rgb.join(), detail: `${background.join(',')} (want ${want.expand2square.background_rgb.join(',')})` });
  const square = expandToSquare(decoded, background);
  checks.push({ name: 'expand2square', ok: square.width === want.expand2square.square_side && sha256(square.data) === want.expand2square.square_rgb_sha256, detail: `side ${square.width} (want ${want.expand2square.square_side})` });
  const resized = resizeAndCrop(square, spec);
  const wantResized = decode(want.resized_uint8_hwc);
  let over1 = 0;
  let differing = 0;
  for (let i = 0; i < wantResized.length; i++) {
    const d = Math.abs(resized.data[i]! - wantResized[i]!);
    if (d > 1) over1++;
    if (d > 0) differing++;
  }
  const sizeOk = resized.data.length === wantResized.length;
  checks.push({ name: 'resized_uint8_hwc', ok: sizeOk && over1 === 0 && differing <= 0.005 * wantResized.length, detail: `${differing} of ${wantResized.length} values differ, ${over1} by more than 1 level` });
  const pixels = normalise(resized, spec, 'chw');
  const wantPixels = new Float32Array(decode(want.pixel_values).slice().buffer);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < wantPixels.length; i++) {
    const d = Math.abs(pixels[i]! - wantPixels[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  const bound = 1.01 / (255 * Math.min(...spec.std));
  const mean = sum / Math.max(1, wantPixels.length);
  checks.push({ name: 'pixel_values', ok: pixels.length === wantPixels.length && max <= bound && mean <= 1e-4, detail: `max |Δ| ${max.toExponential(2)} ≤ ${bound.toFixed(4)}, mean ${mean.toExponential(2)} ≤ 1e-4` });
  // The image operator's one-pass path (preprocessRgb) must give these very floats.
  const fused = preprocessRgb(decoded, spec, 'pad', 'chw');
  const same = fused.length === pixels.length && Buffer.compare(Buffer.from(fused.buffer, fused.byteOffset, fused.byteLength), Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)) === 0;
  checks.push({ name: 'pixel_values (one-pass operator path)', ok: same, detail: same ? 'bit for bit the step-by-step values' : 'differs from the step-by-step values' });
  return { id: c.id, ok: checks.every((k) => k.ok), checks };
}
