import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { VisionLanguageModel } from '../../../src/models/vlm/model/vision-language-model.js';
import { upcycleVlm } from '../../../src/models/vlm/model/upcycle-vlm.js';
import { VlmTrainer, type VlmStepResult } from '../../../src/models/vlm/model/vlm-trainer.js';
import { TINY_VLM, tinyBatch } from './vlm-fixtures.js';

/** Three stage-3 steps of the upcycled tiny VLM on `backend`. */
async function steps(backend: 'cpu' | 'wasm'): Promise<VlmStepResult[]> {
  await selectBackend(backend);
  const dense = VisionLanguageModel.create(TINY_VLM);
  const moe = upcycleVlm(dense, { algorithm: 'smoe' });
  const t = new VlmTrainer(moe, { lr: 1e-3, warmupSteps: 0, totalSteps: 3, minLrMultiplier: 0.1, gradClip: 1, trainable: ['*'] });
  const out: VlmStepResult[] = [];
  for (let i = 0; i < 3; i++) out.push(await t.trainStep(tinyBatch({ textRow: true })));
  t.dispose();
  moe.dispose();
  dense.dispose();
  return out;
}

test('the VLM trains on cpu and on wasm, to the same losses within float32 rounding', async () => {
  const wasm = await steps('wasm');
  const cpu = await steps('cpu');
  await selectBackend('wasm');
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(wasm[i]!.loss - cpu[i]!.loss) < 1e-4, `step ${i}: wasm ${wasm[i]!.loss}, cpu ${cpu[i]!.loss}`);
    for (const k of Object.keys(wasm[i]!.aux)) assert.ok(Math.abs(wasm[i]!.aux[k]! - cpu[i]!.aux[k]!) < 1e-4, `${k} step ${i}`);
  }
});
