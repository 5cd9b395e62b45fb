import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typedJsonCodec } from '../../src/ops/support/json-codec.js';

test('typed arrays, nested objects and arrays round-trip through JSON text', () => {
  const codec = typedJsonCodec<unknown>();
  const value = {
    a: [1, 'two', null, true], f: new Float32Array([1.5, -0]), i: new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
    u: new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2), nested: { deep: [new Uint16Array([65535])] },
  };
  const back = codec.decode(JSON.parse(JSON.stringify(codec.encode(value))));
  assert.deepStrictEqual(back, { ...value, u: new Uint8Array([8, 7]) });
});

test('values JSON cannot hold exactly are refused with their path', () => {
  const codec = typedJsonCodec<unknown>();
  assert.throws(() => codec.encode({ x: [1, NaN] }), /\$\.x\[1\] is NaN/);
  assert.throws(() => codec.encode({ m: new Map() }), /\$\.m is a Map/);
  assert.throws(() => codec.encode({ f: () => 1 }), /\$\.f is a function/);
});
