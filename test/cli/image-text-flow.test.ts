import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parsePipeline } from '../../src/config/load.js';
import { dataFlow, flowContext, flowOutput, imageTextProblem } from '../../src/cli/run/data-plan.js';
import type { ImageTextBatch } from '../../src/ops/items/image-text-batch.js';
import { IMAGE_TOKEN_INDEX } from '../../src/ops/items/conversation-sample.js';
import type { Flow } from '../../src/streams/stage.js';
import { tokenizersEncoder } from '../../src/tokenizer/batch-encoder.js';
import { separatorId } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';
import { drain, roundTrip } from '../ops/helpers.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const LLAVA = `${REPO}fixtures/llava-synthetic`;
const TEXT = `${REPO}fixtures/slimpajama/example_train_0.jsonl`;

const rest = `
model: { dModel: 64, nLayers: 2, nHeads: 2, headDim: 32, moe: { algorithm: moe_layer, nExperts: 4, topK: 2, expertSize: 16 } }
trainer: { steps: 10 }
`;

/** Image-text instructions (weight 3) mixed with SlimPajama text (weight 1), padded in modality groups. */
const MIXED = `
data:
  seqLen: 128
  batchSize: 4
  seed: 5
  sources:
    - kind: llava
      files: [${LLAVA}/instruct-train.jsonl]
      images: ${LLAVA}
      weight: 3
      flow:
        - {op: conversation, template: phi35, labels: turns}
        - {op: image, processor: siglip224, workers: 2}
    - kind: slimpajama
      files: [${TEXT}]
      weight: 1
      flow: [{op: tokenize}, {op: textSamples}]
  flow:
    - {op: padBatch, groupBy: modality, windowBatches: 2}
${rest}`;

async function flowOf(yaml: string): Promise<Flow<ImageTextBatch>> {
  const { config } = parsePipeline(yaml, 'vlm.yaml');
  const { tokenizer, json } = await tinyTokenizer();
  const ctx = flowContext(config, tokenizersEncoder(tokenizer), { json, separatorId: separatorId(tokenizer) }, false);
  return dataFlow(config, ctx) as Flow<ImageTextBatch>;
}

test('an image-text pipeline file assembles into a flow of padded, modality-grouped batches mixing LLaVA and SlimPajama', async () => {
  const { config } = parsePipeline(MIXED, 'vlm.yaml');
  assert.equal(flowOutput(config.data), 'sampleBatch');
  assert.match(imageTextProblem(config.data)!, /pipeline run trains the language model on token batches/, 'pipeline run refuses it with a reason');
  const batches = await drain((await flowOf(MIXED))(), 6);
  assert.equal(batches.length, 6);
  const kinds = new Set<string>();
  for (const b of batches) {
    assert.equal(b.batchSize, 4);
    assert.equal(b.ids.length, 4 * b.seqLen);
    for (let r = 0; r < b.batchSize; r++) {
      const row = Array.from(b.ids.subarray(r * b.seqLen, (r + 1) * b.seqLen));
      assert.equal(row.includes(IMAGE_TOKEN_INDEX), b.modality[r] === 'image', 'an image row holds the image position, a text row none');
    }
    assert.equal(b.imageRows.length, b.modality.filter((m) => m === 'image').length);
    if (b.imageRows.length) {
      assert.deepEqual(b.imageShape, [3, 224, 224]);
      assert.equal(b.pixels!.length, b.imageRows.length * 3 * 224 * 224);
    }
    kinds.add(b.provenance.map((p) => ('line' in (p as object) ? 'text' : 'llava')).join());
  }
  const all = batches.flatMap((b) => b.modality);
  assert.ok(all.includes('image') && all.includes('text'), 'both sources are drawn');
  assert.ok(batches.some((b) => b.modality.every((m) => m === 'image')), 'grouping by modality gives pure image batches');
});

test('the assembled image-text flow resumes exactly: state after N batches → rebuild → the same next batches', async () => {
  const flow = await flowOf(MIXED);
  const whole = await drain(flow(), 5);
  const first = flow();
  const head = await drain(first, 2);
  const saved = roundTrip(first.state());
  await first.close?.();
  const resumed = flow(saved);
  const tail = await drain(resumed, 3);
  await resumed.close?.();
  assert.deepStrictEqual([...head, ...tail], whole);
});

test('a LLaVA-only flow without text: conversation → padBatch (no image op leaves image rows without pixels)', async () => {
  const yaml = `
data:
  seqLen: 64
  batchSize: 2
  sources:
    - {kind: llava, files: [${LLAVA}/pretrain-train.json], images: ${LLAVA}, flow: [{op: conversation, template: plain}]}
  flow: [{op: padBatch}]
${rest}`;
  const [batch] = await drain((await flowOf(yaml))(), 1);
  assert.deepEqual(batch!.modality, ['image', 'image']);
  assert.equal(batch!.pixels, undefined);
});
