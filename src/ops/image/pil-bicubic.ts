/**
 * PIL's `Image.resize(size, BICUBIC)` on 8-bit RGB, reproduced operation for operation
 * (Pillow's libImaging/Resample.c): an antialiased bicubic (a = −0.5, support 2 scaled by the
 * downscale factor), coefficients normalised per output pixel then turned into 22-bit fixed
 * point, a horizontal pass rounded and clipped to uint8, then a vertical pass likewise.
 *
 * Why not sharp's resize: HuggingFace's CLIP and SigLIP processors resize with PIL, and LibMoE's
 * golden vectors match PIL exactly; libvips' kernels differ by up to 100 levels on upsampled
 * images (measured on shared/data/llava/images). This one matches PIL bit for bit.
 */

import { WASM_BASE64 } from './wasm/resample-wasm.js';

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS; // weights are fractions of ONE
const SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output pixel: first input index, count, and fixed-point weights (`ksize` per pixel). */
interface Coefficients {
  readonly ksize: number;
  readonly bounds: Int32Array;
  readonly weights: Int32Array;
}

/** `precompute_coeffs` + `normalize_coeffs_8bpc` for an input span [0, inSize) → outSize. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && ww !== 0 ? k[x]! / ww : x < xmax ? k[x]! : 0;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/**
 * `clip8`: the fixed-point sum back to a byte. Sums stay within int32 (255 · 2^22 · Σ|w| with
 * Σ|w| < 2 for this kernel), so `>>` is C's arithmetic shift.
 */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes interleaved 8-bit RGB (`width × height × 3`) to `outWidth × outHeight`, as PIL does.
 * Passes that would not change a dimension are skipped, as in PIL.
 */
export function pilBicubicResize(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`pilBicubicResize: expected ${width}×${height}×3 bytes, got ${rgb.length}`);
  const needH = outWidth !== width;
  const needV = outHeight !== height;
  const horiz = coefficients(width, outWidth);
  const vert = coefficients(height, outHeight);
  // Rows the vertical pass reads: the horizontal pass only computes those.
  const firstRow = vert.bounds[0]!;
  const lastRow = vert.bounds[(outHeight - 1) * 2]! + vert.bounds[(outHeight - 1) * 2 + 1]!;

  let src = rgb;
  let srcRowOffset = 0;
  let rows = height;
  let cols = width;
  if (needH) {
    rows = needV ? lastRow - firstRow : height;
    srcRowOffset = needV ? firstRow : 0;
    const tmp = new Uint8Array(outWidth * rows * 3);
    const { ksize, bounds, weights } = horiz;
    for (let y = 0; y < rows; y++) {
      const inRow = (y + srcRowOffset) * width * 3;
      const outRow = y * outWidth * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        const kOff = xx * ksize;
        let s0 = HALF, s1 = HALF, s2 = HALF;
        let p = inRow + xmin * 3;
        for (let x = 0; x < xmax; x++, p += 3) {
          const w = weights[kOff + x]!;
          s0 += src[p]! * w;
          s1 += src[p + 1]! * w;
          s2 += src[p + 2]! * w;
        }
        const o = outRow + xx * 3;
        tmp[o] = clip8(s0);
        tmp[o + 1] = clip8(s1);
        tmp[o + 2] = clip8(s2);
      }
    }
    src = tmp;
    cols = outWidth;
  }
  if (!needV) return needH ? src : src.slice();
  const out = new Uint8Array(cols * outHeight * 3);
  const { ksize, bounds, weights } = vert;
  // The horizontal pass kept only rows [firstRow, lastRow): bounds shift by firstRow then.
  const shift = needH ? firstRow : 0;
  const stride = cols * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]! - shift;
    const ymax = bounds[yy * 2 + 1]!;
    const kOff = yy * ksize;
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      let p = ymin * stride + i;
      for (let y = 0; y < ymax; y++, p += stride) s += src[p]! * weights[kOff + y]!;
      out[outRow + i] = clip8(s);
    }
  }
  return out;
}

/** Coefficient tables by `in→out` size: real data repeats sizes, and a table is the same every time. */
const cache = new Map<string, Coefficients>();
function cachedCoefficients(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}>${outSize}`;
  let c = cache.get(key);
  if (c === undefined) {
    if (cache.size >= 64) cache.clear();
    c = coefficients(inSize, outSize);
    cache.set(key, c);
  }
  return c;
}

/** An 8-bit RGB image placed on a larger canvas of one colour (LLaVA's `expand2square`), or alone. */
export interface Canvas {
  /** Interleaved RGB, `width × height × 3`. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The canvas: `canvasWidth × canvasHeight` of `background`, the image at (`left`, `top`). */
  readonly canvasWidth: number;
  readonly canvasHeight: number;
  readonly left: number;
  readonly top: number;
  readonly background: readonly [number, number, number];
}

/** The part of the resized canvas to keep (a centre crop): rows [top, top+height), columns [left, left+width). */
export interface Window {
  readonly top: number;
  readonly left: number;
  readonly width: number;
  readonly height: number;
}

/**
 * `pilBicubicResize` of the canvas to `outWidth × outHeight`, cut to `window`, each byte mapped
 * through `table` (768 floats: 256 per channel) into float32 `chw` (`[3, h, w]`) or `hwc`, in one
 * go: the same integers as pad → resize → crop → normalise done one after another (a skipped
 * pass equals a pass with scale 1, whose weights are exactly 0 and 1), without the padded
 * canvas, the full resized image or the crop ever being made. Only the rows and columns the
 * window needs are computed; rows and columns of pure background are resized once horizontally,
 * and vertically as one product per output value. Written into `target` when given (every value
 * is overwritten), else into a new array.
 */
export function pilBicubicResizeWindow(canvas: Canvas, outWidth: number, outHeight: number, window: Window, table: Float32Array, layout: 'chw' | 'hwc', target?: Float32Array): Float32Array {
  const { data, width, height, canvasWidth, canvasHeight, left, top, background } = canvas;
  if (data.length !== width * height * 3) throw new Error(`pilBicubicResizeWindow: expected ${width}×${height}×3 bytes, got ${data.length}`);
  if (left < 0 || top < 0 || left + width > canvasWidth || top + height > canvasHeight) throw new Error('pilBicubicResizeWindow: the image does not fit its canvas');
  if (window.top < 0 || window.left < 0 || window.top + window.height > outHeight || window.left + window.width > outWidth) throw new Error('pilBicubicResizeWindow: the window is outside the resized image');
  const cols = window.width;
  const rows = window.height;
  const horiz = cachedCoefficients(canvasWidth, outWidth);
  const vert = cachedCoefficients(canvasHeight, outHeight);
  const hk = horiz.ksize, hb = horiz.bounds, hw = horiz.weights;
  const vk = vert.ksize, vb = vert.bounds, vw = vert.weights;

  // Canvas rows the window's output rows read (bounds start non-decreasing with the row).
  const lastOut = window.top + rows - 1;
  const firstRow = vb[window.top * 2]!;
  let lastRow = firstRow;
  for (let yy = window.top; yy <= lastOut; yy++) lastRow = Math.max(lastRow, vb[yy * 2]! + vb[yy * 2 + 1]!);

  // Horizontal pass into `tmp` (rows [firstRow, lastRow) × window columns × 3).
  const stride = cols * 3;
  // With WebAssembly, `tmp` lives in the module's memory (no copy for the vertical pass).
  const tmpLength = (lastRow - firstRow) * stride;
  const simd = verticalSimd();
  let tmp: Uint8Array;
  const plane = rows * cols;
  let weightsAt = 0, rowAt = 0, hBoundsAt = 0, hWeightsAt = 0, srcAt = 0, tableAt = 0, outAt = 0;
  let srcView: Uint8Array | undefined;
  if (simd !== undefined) {
    // Memory: tmp | vertical weights | one output row | horizontal bounds, weights | one source
    // row | the normalisation table | the float32 output (copied out once at the end).
    weightsAt = align16(tmpLength + 16);
    rowAt = align16(weightsAt + vw.length * 4);
    hBoundsAt = align16(rowAt + stride + 16);
    hWeightsAt = align16(hBoundsAt + cols * 8);
    srcAt = align16(hWeightsAt + cols * hk * 4);
    tableAt = align16(srcAt + canvasWidth * 3 + 16);
    outAt = align16(tableAt + table.length * 4);
    const memory = simd.reserve(outAt + plane * 3 * 4);
    tmp = new Uint8Array(memory, 0, tmpLength);
    new Int32Array(memory, weightsAt, vw.length).set(vw);
    new Int32Array(memory, hBoundsAt, cols * 2).set(hb.subarray(window.left * 2, (window.left + cols) * 2));
    new Int32Array(memory, hWeightsAt, cols * hk).set(hw.subarray(window.left * hk, (window.left + cols) * hk));
    new Float32Array(memory, tableAt, table.length).set(table);
    srcView = new Uint8Array(memory, srcAt, canvasWidth * 3 + 16);
  } else tmp = new Uint8Array(tmpLength);
  const padded = width !== canvasWidth;
  const line = padded ? new Uint8Array(canvasWidth * 3) : undefined;
  if (line !== undefined) {
    for (let x = 0; x < canvasWidth; x++) { line[x * 3] = background[0]; line[x * 3 + 1] = background[1]; line[x * 3 + 2] = background[2]; }
  }
  /** Output columns whose taps all fall on background: the same in every row. */
  const constant = new Uint8Array(cols);
  for (let x = 0; x < cols; x++) {
    const xmin = hb[(window.left + x) * 2]!;
    const xend = xmin + hb[(window.left + x) * 2 + 1]!;
    constant[x] = xend <= left || xmin >= left + width ? 1 : 0;
  }
  const horizontalRow = (src: Uint8Array, srcOffset: number, out: Uint8Array, outOffset: number, skipConstant: Uint8Array | undefined): void => {
    for (let x = 0; x < cols; x++) {
      const o = outOffset + x * 3;
      if (skipConstant !== undefined && skipConstant[x] === 1) {
        out[o] = background0[x * 3]!; out[o + 1] = background0[x * 3 + 1]!; out[o + 2] = background0[x * 3 + 2]!;
        continue;
      }
      const xx = window.left + x;
      const n = hb[xx * 2 + 1]!;
      const kOff = xx * hk;
      let p = srcOffset + hb[xx * 2]! * 3;
      let s0 = HALF, s1 = HALF, s2 = HALF;
      for (let k = 0; k < n; k++, p += 3) {
        const w = hw[kOff + k]!;
        s0 = (s0 + Math.imul(src[p]!, w)) | 0;
        s1 = (s1 + Math.imul(src[p + 1]!, w)) | 0;
        s2 = (s2 + Math.imul(src[p + 2]!, w)) | 0;
      }
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  };
  // A canvas row of pure background, resized once: the value of every background row and column.
  const background0 = new Uint8Array(stride);
  const bgLine = line ?? new Uint8Array(canvasWidth * 3);
  if (line === undefined) for (let x = 0; x < canvasWidth; x++) { bgLine[x * 3] = background[0]; bgLine[x * 3 + 1] = background[1]; bgLine[x * 3 + 2] = background[2]; }
  horizontalRow(bgLine, 0, background0, 0, undefined);
  // With WebAssembly, the source row goes on a line of background in the module's memory (the
  // columns of pure background then come out as background0, the same bytes) and `hrow` writes
  // its output row straight into `tmp`.
  if (srcView !== undefined) srcView.set(bgLine);
  for (let y = firstRow; y < lastRow; y++) {
    const o = (y - firstRow) * stride;
    if (y < top || y >= top + height) { tmp.set(background0, o); continue; }
    const imageRow = (y - top) * width * 3;
    if (srcView !== undefined) {
      srcView.set(data.subarray(imageRow, imageRow + width * 3), left * 3);
      simd!.hrow(srcAt, cols, hBoundsAt, hWeightsAt, hk, o);
      continue;
    }
    if (line === undefined) horizontalRow(data, imageRow, tmp, o, constant);
    else {
      line.set(data.subarray(imageRow, imageRow + width * 3), left * 3);
      horizontalRow(line, 0, tmp, o, constant);
    }
  }

  // Vertical pass, each byte through the table into the float output: one output row of bytes
  // at a time (WebAssembly SIMD `vrow`, or the same integers in JavaScript), then the table
  // (WebAssembly `trow` into the module's memory, or `tableRow`).
  if (target !== undefined && target.length !== plane * 3) throw new Error(`pilBicubicResizeWindow: the target holds ${target.length} floats, the window ${plane * 3}`);
  const out = target ?? new Float32Array(plane * 3);
  const acc = simd === undefined ? new Int32Array(stride) : undefined;
  const row8 = simd !== undefined ? new Uint8Array(simd.memory(), rowAt, stride) : new Uint8Array(stride);
  // Where pixel 0 of row y goes and the steps between pixels and between channels (in floats).
  const pixStep = layout === 'chw' ? 1 : 3;
  const chanStep = layout === 'chw' ? plane : 1;
  for (let y = 0; y < rows; y++) {
    const yy = window.top + y;
    const n = vb[yy * 2 + 1]!;
    const kOff = yy * vk;
    const ymin = vb[yy * 2]!;
    if (ymin + n <= top || ymin >= top + height) {
      // Taps all on background rows: every column reads one value n times, Σ b·w = b·Σw exactly.
      let wsum = 0;
      for (let k = 0; k < n; k++) wsum += vw[kOff + k]!;
      for (let i = 0; i < stride; i++) row8[i] = clip8((HALF + Math.imul(background0[i]!, wsum)) | 0);
    } else if (simd !== undefined) {
      simd.vrow((ymin - firstRow) * stride, stride, weightsAt + kOff * 4, n, rowAt);
    } else {
      // Tap by tap over whole rows (contiguous reads, one int32 sum per byte of the row): the
      // same integer sums as PIL's per-pixel loop (no sum leaves int32).
      let base = (ymin - firstRow) * stride;
      const w0 = vw[kOff]!;
      for (let i = 0; i < stride; i++) acc![i] = (HALF + Math.imul(tmp[base + i]!, w0)) | 0;
      for (let k = 1; k < n; k++) {
        const w = vw[kOff + k]!;
        base += stride;
        for (let i = 0; i < stride; i++) acc![i] = (acc![i]! + Math.imul(tmp[base + i]!, w)) | 0;
      }
      for (let i = 0; i < stride; i++) row8[i] = clip8(acc![i]!);
    }
    const first = y * cols * pixStep;
    if (simd !== undefined) simd.trow(rowAt, cols, tableAt, outAt + first * 4, pixStep * 4, chanStep * 4);
    else tableRow(row8, cols, table, out, first, pixStep, chanStep);
  }
  if (simd !== undefined) out.set(new Float32Array(simd.memory(), outAt, plane * 3));
  return out;
}

/**
 * `cols` interleaved RGB bytes through `table` (256 floats per channel) into `out`: channel c of
 * pixel i at `first + i·pixStep + c·chanStep` (both layouts). The JavaScript fallback of `trow`.
 */
function tableRow(row8: Uint8Array, cols: number, table: Float32Array, out: Float32Array, first: number, pixStep: number, chanStep: number): void {
  let q = first;
  for (let i = 0; i < cols * 3; i += 3, q += pixStep) {
    out[q] = table[row8[i]!]!;
    out[q + chanStep] = table[256 + row8[i + 1]!]!;
    out[q + 2 * chanStep] = table[512 + row8[i + 2]!]!;
  }
}

const align16 = (n: number): number => (n + 15) & ~15;

/** The WebAssembly SIMD passes (wasm/resample.wat), one instance per thread; undefined where WebAssembly SIMD is missing or MOEFLOW_IMAGE_WASM=0. */
interface VerticalSimd {
  /** Makes the memory at least `bytes` long and returns its buffer (views made before are stale after a growth). */
  reserve(bytes: number): ArrayBuffer;
  memory(): ArrayBuffer;
  vrow(src: number, stride: number, weights: number, n: number, dst: number): void;
  hrow(src: number, cols: number, bounds: number, weights: number, ksize: number, dst: number): void;
  trow(src: number, n: number, table: number, dst: number, pix: number, chan: number): void;
}
let simdState: VerticalSimd | null | undefined;
function verticalSimd(): VerticalSimd | undefined {
  if (simdState === undefined) {
    simdState = null;
    if (process.env['MOEFLOW_IMAGE_WASM'] !== '0') {
      try {
        const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64')));
        const memory = instance.exports['memory'] as WebAssembly.Memory;
        const vrow = instance.exports['vrow'] as VerticalSimd['vrow'];
        const hrow = instance.exports['hrow'] as VerticalSimd['hrow'];
        const trow = instance.exports['trow'] as VerticalSimd['trow'];
        simdState = {
          reserve(bytes) {
            const missing = bytes - memory.buffer.byteLength;
            if (missing > 0) memory.grow(Math.ceil(missing / 65536));
            return memory.buffer;
          },
          memory: () => memory.buffer,
          vrow,
          hrow,
          trow,
        };
      } catch { simdState = null; }
    }
  }
  return simdState ?? undefined;
}

/** Tests: turn the WebAssembly passes off (the JavaScript ones run) or back on; says whether they are in use now. */
export function useResampleWasm(enabled: boolean): boolean {
  simdState = enabled ? undefined : null;
  return verticalSimd() !== undefined;
}
