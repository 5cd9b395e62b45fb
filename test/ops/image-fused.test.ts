import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useResampleWasm } from '../../src/ops/image/pil-bicubic.js';
import { CLIP_336, type Layout, type ProcessorSpec, type RgbImage, SIGLIP_224, expandToSquare, normalise, padColour, preprocessRgb, resizeAndCrop } from '../../src/ops/image/processor.js';

/** Deterministic noise: every pixel differs, so any change in rounding or taps shows. */
function noise(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    // Mostly smooth with sharp edges and extremes: 0 and 255 exercise clipping.
    data[i] = (x >>> 0) % 7 === 0 ? ((x >>> 8) & 1) * 255 : (i * 37 + (x >>> 24)) & 255;
  }
  return { data, width, height };
}

/** The reference: the steps one after another (what the golden cases check against PIL). */
function stepByStep(image: RgbImage, spec: ProcessorSpec, aspect: 'pad' | 'resize', layout: Layout): Float32Array {
  const square = aspect === 'pad' ? expandToSquare(image, padColour(spec)) : image;
  return normalise(resizeAndCrop(square, spec), spec, layout);
}

const CUSTOM: ProcessorSpec[] = [
  { name: 'edge256crop224', resize: 'shortest-edge', size: 256, crop: 224, mean: [0.1, 0.2, 0.3], std: [0.3, 0.2, 0.1] },
  { name: 'square240crop224', resize: 'square', size: 240, crop: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  { name: 'edge32crop40', resize: 'shortest-edge', size: 32, crop: 40, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
];

test('the fused preprocessing equals pad → PIL resize → crop → normalise bit for bit (sizes up and down, tall, wide, square, tiny)', () => {
  const sizes: [number, number][] = [[1, 1], [1, 9], [7, 1], [100, 100], [336, 336], [224, 224], [336, 200], [200, 336], [570, 380], [380, 570],
    [1000, 667], [667, 1000], [341, 339], [223, 225], [50, 400], [400, 50], [1300, 17], [3, 700]];
  let cases = 0;
  sizes.forEach(([w, h], i) => {
    const image = noise(w, h, 1000 + i);
    for (const spec of [CLIP_336, SIGLIP_224, ...CUSTOM]) {
      for (const aspect of ['pad', 'resize'] as const) {
        for (const layout of ['chw', 'hwc'] as const) {
          const want = stepByStep(image, spec, aspect, layout);
          const got = preprocessRgb(image, spec, aspect, layout);
          assert.equal(got.length, want.length, `${w}×${h} ${spec.name} ${aspect} ${layout}: length`);
          const a = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
          const b = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
          if (Buffer.compare(a, b) !== 0) {
            const at = got.findIndex((v, k) => v !== want[k]);
            assert.fail(`${w}×${h} ${spec.name} ${aspect} ${layout}: differs first at ${at}: ${got[at]} vs ${want[at]}`);
          }
          cases++;
        }
      }
    }
  });
  assert.equal(cases, sizes.length * 5 * 2 * 2);
});

test('a constant image stays constant through the fused path (background rows and columns included)', () => {
  const image: RgbImage = { data: new Uint8Array(300 * 120 * 3).fill(0), width: 300, height: 120 };
  for (let p = 0; p < 300 * 120; p++) image.data.set(padColour(CLIP_336), p * 3);
  const out = preprocessRgb(image, CLIP_336, 'pad', 'chw');
  const plane = 336 * 336;
  for (let c = 0; c < 3; c++) {
    const v = out[c * plane]!;
    assert.ok(out.subarray(c * plane, (c + 1) * plane).every((x) => x === v), `channel ${c} is constant`);
  }
});

test('the WebAssembly SIMD passes and the JavaScript ones give the same floats', () => {
  assert.equal(useResampleWasm(true), true, 'WebAssembly SIMD is available in Node 20');
  const sizes: [number, number][] = [[1, 1], [7, 1], [100, 100], [336, 200], [200, 336], [570, 380], [1000, 667], [333, 1001], [5, 400]];
  try {
    sizes.forEach(([w, h], i) => {
      const image = noise(w, h, 1000 + i);
      for (const spec of [CLIP_336, SIGLIP_224, ...CUSTOM]) {
        for (const aspect of ['pad', 'resize'] as const) {
          for (const layout of ['chw', 'hwc'] as const) {
            useResampleWasm(true);
            const simd = preprocessRgb(image, spec, aspect, layout);
            useResampleWasm(false);
            const js = preprocessRgb(image, spec, aspect, layout);
            assert.deepEqual(simd, js, `${w}×${h} ${spec.name} ${aspect} ${layout}`);
          }
        }
      }
    });
  } finally {
    useResampleWasm(true);
  }
});
