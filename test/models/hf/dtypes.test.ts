/** F16 / BF16 ↔ float32 as torch stores them (little-endian, round to nearest even), and the file format against moeflow's other reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeFloats, encodeFloats, type HfFloatDtype } from '../../../src/models/checkpoint/hf/dtypes.js';
import { writeHfCheckpoint } from '../../../src/models/checkpoint/hf/write-folder.js';
import { readSafetensorsHeader } from '../../../src/models/checkpoint/hf/safetensors-file.js';
import { readSafetensors } from '../../../src/models/checkpoint/safetensors.js';
import { withTmpDir } from './hf-fixtures.js';

const bits = (dtype: HfFloatDtype, xs: number[]): number[] => {
  const b = encodeFloats(dtype, Float32Array.from(xs));
  return Array.from({ length: xs.length }, (_, i) => b[2 * i]! | (b[2 * i + 1]! << 8));
};
const values = (dtype: HfFloatDtype, hs: number[]): number[] => {
  const b = new Uint8Array(hs.length * 2);
  hs.forEach((h, i) => { b[2 * i] = h & 0xff; b[2 * i + 1] = h >> 8; });
  return [...decodeFloats(dtype, b)];
};

test('F16 decodes normals, subnormals, ±0, ±∞ and NaN exactly', () => {
  assert.deepEqual(values('F16', [0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x7c00, 0xfc00]), [1, -2, 65504, 2 ** -14, 2 ** -24, Infinity, -Infinity]);
  assert.ok(Object.is(values('F16', [0x8000])[0], -0));
  assert.ok(Number.isNaN(values('F16', [0x7e00])[0]));
});

test('F16 encodes with round to nearest even, overflow to ∞ and gradual underflow', () => {
  assert.deepEqual(bits('F16', [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 70000, -1e9]), [0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7c00, 0x7c00, 0xfc00]);
  assert.deepEqual(bits('F16', [2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -14 - 2 ** -25, 1e-10]), [0x0001, 0x0000, 0x0002, 0x0400, 0x0000]);
});

test('BF16 is the top half of float32, rounded to nearest even', () => {
  assert.deepEqual(values('BF16', [0x3f80, 0xc040, 0x4049, 0x7f80]), [1, -3, 3.140625, Infinity]);
  assert.deepEqual(bits('BF16', [1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, Math.PI]), [0x3f80, 0x3f80, 0x3f82, 0x4049]);
  assert.equal(bits('BF16', [NaN])[0]! & 0x7fc0, 0x7fc0);
});

test('every non-NaN F16 and BF16 bit pattern survives decode then encode', () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const back = bits(dtype, values(dtype, all));
    for (const h of all) {
      const nan = dtype === 'F16' ? (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 : (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (!nan) assert.equal(back[h], h, `${dtype} 0x${h.toString(16)}`);
    }
  }
});

test("an F32 file written in HF's layout reads back through moeflow's own safetensors reader; headers keep dtype and shape", async () => {
  await withTmpDir(async (dir) => {
    const data = Float32Array.from({ length: 6 }, (_, i) => i / 3);
    await writeHfCheckpoint(dir, { config: { model_type: 'x' }, tensors: new Map([['a.weight', { shape: [2, 3], data }], ['b', { shape: [6], data }]]), dtype: (n) => (n === 'b' ? 'BF16' : 'F32') });
    const h = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    assert.deepEqual([...h.entries].map(([k, e]) => [k, e.dtype, e.shape]), [['a.weight', 'F32', [2, 3]], ['b', 'BF16', [6]]]);
    assert.deepEqual(h.metadata, { format: 'pt' });
    // moeflow's LM-checkpoint reader does not know BF16; an all-F32 file is what it reads.
    await writeHfCheckpoint(dir, { config: {}, tensors: new Map([['a.weight', { shape: [2, 3], data }]]) });
    const back = await readSafetensors(join(dir, 'model.safetensors'));
    assert.deepEqual([...back.tensors.get('a.weight')!.data], [...data]);
  });
});
