import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the main entry exposes the data plane without loading TensorFlow.js', async () => {
  const lib = await import('../src/index.js');
  for (const name of ['pipe', 'slimPajama', 'llava', 'tokenize', 'pack', 'shuffle', 'batch', 'textFlow', 'conversation', 'preprocessImages', 'padBatch', 'textSamples', 'toObservable', 'fromObservable', 'RunStatsSink']) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', `${name} is exported`);
  }
  assert.equal((globalThis as { _tfengine?: unknown })._tfengine, undefined, 'tfjs engine was not created');
});

test('moeflow/models exposes the registry with every LibMoE router', async () => {
  const models = await import('../src/models/index.js');
  const names = models.moeAlgorithms();
  for (const name of ['smoe', 'xmoe', 'smoe_tcmoe', 'hyperrouter', 'moe_layer', 'moe_layer_deepseekv2', 'moe_layer_remoe']) {
    assert.ok(names.includes(name), `${name} registered`);
  }
});
