/**
 * Child process of wasm-threads.test.ts (the backend registry is per process): trains a small
 * MoE LM for a few steps on the wasm backend with `argv[2]` threads and prints one JSON line —
 * the pool size in use, the backend's reason, and a hash of every loss and final weight.
 * It ends without process.exit, so a pthread worker left running would hang it.
 */
import { createHash } from 'node:crypto';
import { selectBackend } from '../../src/models/backend.js';
import { wasmThreadsInUse } from '../../src/models/wasm-threads.js';
import { TransformerLM } from '../../src/models/lm/transformer-lm.js';
import { LmTrainer } from '../../src/models/lm/trainer.js';
import type { LmConfig } from '../../src/models/lm/config.js';
import { createMoeLayer } from '../../src/models/moe/registry.js';
import { tinyBatch } from './lm-fixtures.js';

const threads = Number(process.argv[2] ?? 1);
const choice = await selectBackend('wasm', { threads, matmul: 'xnnpack' });
// Wide enough that XNNPACK splits its matrix multiplies over the pool's threads.
const config: LmConfig = {
  vocabSize: 256, dModel: 128, nLayers: 2, nHeads: 4, headDim: 32, seed: 3,
  ffn: { kind: 'moe', algorithm: 'moe_layer', nExperts: 4, topK: 2, expertSize: 64, options: { selection_mode: 'gate', perplexity_reg_mode: 'standard', perplexity_reg: 0.01 } },
};
const model = new TransformerLM(config, createMoeLayer);
const trainer = new LmTrainer(model, { lr: 3e-3, warmupSteps: 0, totalSteps: 100, minLrMultiplier: 0.1, gradClip: 1 });
const hash = createHash('sha256');
const losses: number[] = [];
for (let i = 0; i < 3; i++) {
  const r = await trainer.trainStep(tinyBatch(8, 64, config.vocabSize, i + 1));
  losses.push(r.loss);
  hash.update(new Float64Array([r.loss]));
}
for (const [name, v] of [...model.params].sort(([a], [b]) => a.localeCompare(b))) {
  hash.update(name);
  hash.update(new Uint8Array((await v.data() as Float32Array).buffer));
}
process.stdout.write(JSON.stringify({ threads: wasmThreadsInUse(), reason: choice.reason, losses, hash: hash.digest('hex') }) + '\n');
trainer.dispose();
model.dispose();
