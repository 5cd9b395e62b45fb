import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { ParamFactory } from '../../../src/models/moe/init.js';

before(async () => {
  await selectBackend('wasm');
});

/** Gram matrix of the columns (byColumns) or rows of a row-major [rows, cols] matrix. */
function gram(x: Float32Array, rows: number, cols: number, byColumns: boolean): number[][] {
  const [n, m] = byColumns ? [cols, rows] : [rows, cols];
  const at = (v: number, i: number): number => (byColumns ? x[i * cols + v]! : x[v * cols + i]!);
  return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => {
    let dot = 0;
    for (let i = 0; i < m; i++) dot += at(a, i) * at(b, i);
    return dot;
  }));
}

test('orthogonal (torch.nn.init.orthogonal_): a tall matrix gets orthonormal columns, a wide one orthonormal rows, scaled by gain', () => {
  const pf = new ParamFactory(9, '');
  for (const [rows, cols, gain] of [[8, 4, 0.32], [3, 7, 2], [5, 5, 1]] as const) {
    const v = pf.orthogonal(`w${rows}x${cols}`, [rows, cols], gain);
    assert.deepEqual(v.shape, [rows, cols]);
    const g = gram(v.dataSync() as Float32Array, rows, cols, rows >= cols);
    g.forEach((row, a) => row.forEach((dot, b) => {
      assert.ok(Math.abs(dot - (a === b ? gain * gain : 0)) < 1e-5, `[${rows}, ${cols}] entry (${a}, ${b}) of the Gram matrix is ${dot}`);
    }));
    v.dispose();
  }
});

test('orthogonal draws depend on (seed, name) only, like every ParamFactory draw', () => {
  const a = new ParamFactory(9, '').orthogonal('e', [6, 3], 1);
  const b = new ParamFactory(9, '').orthogonal('e', [6, 3], 1);
  const c = new ParamFactory(10, '').orthogonal('e', [6, 3], 1);
  assert.deepEqual(a.dataSync(), b.dataSync());
  assert.notDeepEqual(a.dataSync(), c.dataSync());
  [a, b, c].forEach((v) => v.dispose());
});
