import { type DecodeOptions, decodeImage } from './decode-image.js';
import { type Layout, type ProcessorSpec, type RgbImage, expandToSquare, padColour, preprocessRgb, resizeAndCrop } from './processor.js';

/** What the image operator computes for one image. */
export interface ImageTensor {
  /** float32 pixel values in `layout` order. */
  readonly data: Float32Array;
  /** `[3, H, W]` for 'chw', `[H, W, 3]` for 'hwc'. */
  readonly shape: readonly [number, number, number];
}

export interface PreprocessOptions extends DecodeOptions {
  /** LLaVA's `image_aspect_ratio`: 'pad' (expand to a square of the mean colour first; LibMoE stages 2–3) or 'resize' (the processor alone). Default 'pad'. */
  readonly aspect?: 'pad' | 'resize';
  /** Default 'chw' (`pixel_values`). */
  readonly layout?: Layout;
}

/** Pad (or not), resize, crop: the 8-bit image the processor normalises. */
export function processRgb(image: RgbImage, spec: ProcessorSpec, aspect: 'pad' | 'resize' = 'pad'): RgbImage {
  const square = aspect === 'pad' ? expandToSquare(image, padColour(spec)) : image;
  return resizeAndCrop(square, spec);
}

/**
 * LibMoE's `process_image` + HuggingFace processor on one file. Deterministic: a function of the
 * bytes and options. `allocate(n)` supplies the output's `n` floats (the worker pool hands back a
 * reused buffer); by default a new array.
 */
export async function preprocessImage(path: string, spec: ProcessorSpec, options: PreprocessOptions = {}, allocate?: (length: number) => Float32Array): Promise<ImageTensor> {
  const decoded = await decodeImage(path, options);
  const layout = options.layout ?? 'chw';
  const c = spec.crop;
  const target = allocate?.(3 * c * c);
  return { data: preprocessRgb(decoded, spec, options.aspect ?? 'pad', layout, target), shape: layout === 'chw' ? [3, c, c] : [c, c, 3] };
}
