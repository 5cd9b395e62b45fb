import { type Canvas, pilBicubicResize, pilBicubicResizeWindow } from './pil-bicubic.js';

/** An RGB image, 8 bits per channel, interleaved (`height × width × 3`). */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A HuggingFace image processor's settings (the hub `preprocessor_config.json` values). */
export interface ProcessorSpec {
  readonly name: string;
  /** 'shortest-edge': resize the short side to `size` (the long one `int(size·long/short)`), then centre-crop `crop`. 'square': resize to `size × size`. */
  readonly resize: 'shortest-edge' | 'square';
  readonly size: number;
  readonly crop: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** openai/clip-vit-large-patch14-336 (`CLIPImageProcessor`). */
export const CLIP_336: ProcessorSpec = {
  name: 'clip336', resize: 'shortest-edge', size: 336, crop: 336,
  mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
};

/** google/siglip-so400m-patch14-224 (`SiglipImageProcessor`). */
export const SIGLIP_224: ProcessorSpec = {
  name: 'siglip224', resize: 'square', size: 224, crop: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
};

export const PROCESSORS: Readonly<Record<string, ProcessorSpec>> = { clip336: CLIP_336, siglip224: SIGLIP_224 };

/** LLaVA's `expand2square` background: `tuple(int(x·255) for x in processor.image_mean)`. */
export function padColour(spec: ProcessorSpec): [number, number, number] {
  return [Math.trunc(spec.mean[0] * 255), Math.trunc(spec.mean[1] * 255), Math.trunc(spec.mean[2] * 255)];
}

/** LLaVA's `expand2square`: the image centred at `((side−w)//2, (side−h)//2)` on a square of `background`. */
export function expandToSquare(image: RgbImage, background: readonly [number, number, number]): RgbImage {
  const { width, height } = image;
  if (width === height) return image;
  const side = Math.max(width, height);
  const data = new Uint8Array(side * side * 3);
  // One row of background, then doubling copies: a few memcpy calls instead of one per pixel.
  for (let p = 0; p < side; p++) { data[p * 3] = background[0]; data[p * 3 + 1] = background[1]; data[p * 3 + 2] = background[2]; }
  for (let filled = side * 3; filled < data.length; filled *= 2) data.copyWithin(filled, 0, Math.min(filled, data.length - filled));
  const left = Math.floor((side - width) / 2);
  const top = Math.floor((side - height) / 2);
  for (let y = 0; y < height; y++) {
    data.set(image.data.subarray(y * width * 3, (y + 1) * width * 3), ((top + y) * side + left) * 3);
  }
  return { data, width: side, height: side };
}

/** The processor's resize and centre crop (HuggingFace `resize` with PIL BICUBIC, `center_crop`). */
export function resizeAndCrop(image: RgbImage, spec: ProcessorSpec): RgbImage {
  const [w, h] = resizedSize(image.width, image.height, spec);
  let resized: RgbImage = { data: pilBicubicResize(image.data, image.width, image.height, w, h), width: w, height: h };
  if (w !== spec.crop || h !== spec.crop) resized = centreCrop(resized, spec.crop);
  return resized;
}

/** The processor's resize target for a `width × height` input. */
function resizedSize(width: number, height: number, spec: ProcessorSpec): [number, number] {
  if (spec.resize === 'square') return [spec.size, spec.size];
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const other = Math.trunc((spec.size * long) / short);
  return width <= height ? [spec.size, other] : [other, spec.size];
}

/**
 * Pad (or not), resize, crop and normalise in one pass over the decoded image: the same float32
 * values, bit for bit, as `expandToSquare` → `resizeAndCrop` → `normalise` (tested), with no
 * intermediate images (`pilBicubicResizeWindow`). What the image operator runs. With `target`
 * (`3·crop²` floats) the values go there: the worker pool reuses its output buffers.
 */
export function preprocessRgb(image: RgbImage, spec: ProcessorSpec, aspect: 'pad' | 'resize' = 'pad', layout: Layout = 'chw', target?: Float32Array): Float32Array {
  const side = Math.max(image.width, image.height);
  const pad = aspect === 'pad' && image.width !== image.height;
  const canvas: Canvas = {
    data: image.data, width: image.width, height: image.height,
    canvasWidth: pad ? side : image.width, canvasHeight: pad ? side : image.height,
    left: pad ? Math.floor((side - image.width) / 2) : 0, top: pad ? Math.floor((side - image.height) / 2) : 0,
    background: padColour(spec),
  };
  const [w, h] = resizedSize(canvas.canvasWidth, canvas.canvasHeight, spec);
  // A crop larger than the resized image pads with zeros around it: the general path does that.
  if (w < spec.crop || h < spec.crop) {
    const square = pad ? expandToSquare(image, canvas.background) : image;
    const values = normalise(resizeAndCrop(square, spec), spec, layout);
    if (target === undefined) return values;
    if (target.length !== values.length) throw new Error(`preprocessRgb: the target holds ${target.length} floats, the image ${values.length}`);
    target.set(values);
    return target;
  }
  const window = { top: Math.floor((h - spec.crop) / 2), left: Math.floor((w - spec.crop) / 2), width: spec.crop, height: spec.crop };
  return pilBicubicResizeWindow(canvas, w, h, window, normaliseTable(spec), layout, target);
}

const tables = new WeakMap<ProcessorSpec, Float32Array>();

/** `normalise`'s value for every byte and channel: 768 floats, 256 per channel. */
function normaliseTable(spec: ProcessorSpec): Float32Array {
  let table = tables.get(spec);
  if (table === undefined) {
    table = new Float32Array(256 * 3);
    for (let c = 0; c < 3; c++) {
      const mean = Math.fround(spec.mean[c]!);
      const std = Math.fround(spec.std[c]!);
      for (let v = 0; v < 256; v++) table[c * 256 + v] = Math.fround(Math.fround(Math.fround(v * (1 / 255)) - mean) / std);
    }
    tables.set(spec, table);
  }
  return table;
}

/** HuggingFace `center_crop`: top `(h−c)//2`, left `(w−c)//2` (an image smaller than the crop is padded with 0 around). */
function centreCrop(image: RgbImage, crop: number): RgbImage {
  const top = Math.floor((image.height - crop) / 2);
  const left = Math.floor((image.width - crop) / 2);
  const data = new Uint8Array(crop * crop * 3);
  for (let y = 0; y < crop; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < crop; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const s = (sy * image.width + sx) * 3;
      const d = (y * crop + x) * 3;
      data[d] = image.data[s]!; data[d + 1] = image.data[s + 1]!; data[d + 2] = image.data[s + 2]!;
    }
  }
  return { data, width: crop, height: crop };
}

export type Layout = 'chw' | 'hwc';

/**
 * Rescale and normalise as HuggingFace does: `x·(1/255)` in float64 cast to float32, then
 * `(x − mean) / std` in float32. `chw` (`[3, H, W]`, PyTorch's `pixel_values`) or `hwc`.
 */
export function normalise(image: RgbImage, spec: ProcessorSpec, layout: Layout = 'chw'): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  // One value per byte and channel: 768 table entries instead of 3·H·W float divisions.
  const table = normaliseTable(spec);
  if (layout === 'hwc') {
    for (let i = 0; i < plane * 3; i++) out[i] = table[(i % 3) * 256 + data[i]!]!;
    return out;
  }
  for (let p = 0; p < plane; p++) {
    out[p] = table[data[p * 3]!]!;
    out[plane + p] = table[256 + data[p * 3 + 1]!]!;
    out[2 * plane + p] = table[512 + data[p * 3 + 2]!]!;
  }
  return out;
}
