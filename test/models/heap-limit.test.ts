import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/models/backend.js';
import { explainBackendFailure } from '../../src/models/heap-limit.js';

test('a wasm abort becomes an error that names the heap limit, the model size and what to change', async () => {
  await selectBackend('wasm');
  const explained = explainBackendFailure(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 158e6, 'step 1');
  assert.ok(explained instanceof Error);
  assert.match(explained.message, /^step 1: the wasm backend ran out of its 4\.00 GiB heap \(158\.0M parameters: .* 2\.35 GiB/);
  assert.match(explained.message, /data\.batchSize with trainer\.accumulate/);
});

test('other errors, and errors on other backends, pass through unchanged', async () => {
  await selectBackend('wasm');
  const other = new Error('shape mismatch');
  assert.equal(explainBackendFailure(other, 1e6, 'step 1'), other);
  await selectBackend('cpu');
  const abort = new Error('Aborted()');
  assert.equal(explainBackendFailure(abort, 1e6, 'step 1'), abort);
});
