/** S² plumbing as torch computes it: bicubic resampling, chessboard crops, area pooling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor3D, type Tensor4D } from '../../../src/models/tf.js';
import { bicubicMatrix, bicubicResize } from '../../../src/models/vlm/tower/bicubic.js';
import { areaPoolTokens, mergeChessboard, splitChessboard } from '../../../src/models/vlm/tower/s2.js';
import { activate } from '../../../src/models/kernels/activations.js';

test("torch's bicubic (a = −0.75, align_corners=False): rows sum to 1, taps clamp at the edges, known weights", () => {
  const m = bicubicMatrix(4, 8);
  for (let i = 0; i < 8; i++) {
    const row = Array.from(m.subarray(i * 4, i * 4 + 4));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `row ${i}`);
  }
  // Output 2 of 4→8 reads src 0.75: t = 0.75 around taps −1…2 (−1 clamped onto 0).
  const t = 0.75;
  const near = (x: number) => (1.25 * x - 2.25) * x * x + 1;
  const far = (x: number) => ((-0.75 * x + 3.75) * x - 6) * x + 3;
  const want = [far(t + 1) + near(t), near(1 - t), far(2 - t), 0];
  assert.deepEqual(Array.from(m.subarray(8, 12)), want.map(Math.fround));
});

test('bicubic resizing keeps a constant image constant and is the identity at the same size', async () => {
  await selectBackend('cpu');
  tf.tidy(() => {
    const x = tf.fill([1, 3, 4, 4], 2.5) as Tensor4D;
    const y = bicubicResize(x, 12);
    assert.deepEqual(y.shape, [1, 3, 12, 12]);
    assert.ok(tf.max(tf.abs(tf.sub(y, 2.5))).dataSync()[0]! < 1e-5);
    assert.equal(bicubicResize(x, 4), x);
  });
});

test('chessboard split then merge puts every crop back in place (crop (i, j) of every image, i row-major)', async () => {
  await selectBackend('cpu');
  tf.tidy(() => {
    // Two images of 4×4 "tokens" with D = 1, split 2×2: a crop's patch tokens are its 2×2 pixels.
    const img = tf.reshape(tf.range(0, 32, 1, 'float32'), [2, 1, 4, 4]) as Tensor4D;
    const crops = splitChessboard(img, 2);
    assert.deepEqual(crops.shape, [8, 1, 2, 2]);
    assert.deepEqual(Array.from(crops.dataSync().slice(0, 4)), [0, 1, 4, 5], 'crop (0,0) of image 0');
    assert.deepEqual(Array.from(crops.dataSync().slice(4, 8)), [16, 17, 20, 21], 'then crop (0,0) of image 1');
    assert.deepEqual(Array.from(crops.dataSync().slice(8, 12)), [2, 3, 6, 7], 'then crop (0,1) of image 0');
    const tokens = tf.reshape(crops, [8, 4, 1]) as Tensor3D;
    const grid = mergeChessboard(tokens, 2);
    assert.deepEqual(Array.from(grid.dataSync()), Array.from(tf.transpose(img, [0, 2, 3, 1]).dataSync()));
    assert.deepEqual(Array.from(areaPoolTokens(grid, 2).dataSync().slice(0, 4)), [2.5, 4.5, 10.5, 12.5], '2×2 block means');
  });
});

test('the towers’ activations: quick_gelu = x·σ(1.702x), gelu_pytorch_tanh as torch', async () => {
  await selectBackend('cpu');
  tf.tidy(() => {
    const x = tf.tensor1d([-2, -0.5, 0, 1, 3]);
    const q = activate('quick_gelu', x).dataSync();
    const t = activate('gelu_pytorch_tanh', x).dataSync();
    [-2, -0.5, 0, 1, 3].forEach((v, i) => {
      assert.ok(Math.abs(q[i]! - v / (1 + Math.exp(-1.702 * v))) < 1e-6);
      assert.ok(Math.abs(t[i]! - 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))) < 1e-6);
    });
    assert.ok(Math.abs(t[3]! - 0.8411920070648193) < 1e-6, 'torch gelu(1, approximate="tanh")');
  });
});
