import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleFlow } from '../../src/ops/flow/assemble.js';
import { defaultFlow } from '../../src/ops/flow/default-flow.js';
import type { FlowContext } from '../../src/ops/flow/flow-op.js';
import { textFlow } from '../../src/ops/text-flow.js';
import { fromArray } from '../../src/streams/from-array.js';
import { tokenizersEncoder } from '../../src/tokenizer/batch-encoder.js';
import { separatorId } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizer } from '../tokenizer/tiny-tokenizer.js';
import { assertResumesExactly, drain, textRecords } from './helpers.js';

async function context(evaluation = false): Promise<FlowContext> {
  const { tokenizer } = await tinyTokenizer();
  return { encoder: tokenizersEncoder(tokenizer), separatorId: separatorId(tokenizer), seqLen: 16, batchSize: 2, accumulate: 2, seed: 7, evaluation };
}

const tokens = (batches: { tokens: Int32Array }[]) => batches.map((b) => [...b.tokens]);

test('the default flow assembled from the registry gives the batches of the fixed text flow it replaces', async () => {
  const ctx = await context();
  const docs = textRecords(120);
  const assembled = assembleFlow(fromArray(docs), defaultFlow({ shuffleBuffer: 6 }), ctx);
  const fixed = textFlow(fromArray(docs), { encoder: ctx.encoder, seqLen: 16, separatorId: ctx.separatorId, batchSize: 4, dropRemainder: true, shuffle: { bufferSize: 6, seed: 7 }, prefetch: 2 });
  const a = await drain(assembled());
  assert.ok(a.length > 3);
  assert.equal(a[0]!.batchSize, 4, 'batch.size × trainer.accumulate rows per batch');
  assert.deepEqual(tokens(a), tokens(await drain(fixed())));
  assert.deepEqual(JSON.parse(JSON.stringify(assembled().state())), JSON.parse(JSON.stringify(fixed().state())), 'the same state layout: old checkpoints resume');
  await assertResumesExactly(assembled, 2, 2);
});

test('a domain filter in the flow keeps only the listed domains; evaluation leaves the shuffle out', async () => {
  const docs = textRecords(120);
  const domains = [...new Set(docs.map((d) => d.domain))];
  assert.ok(domains.length > 1, 'the fixture has several domains');
  const steps = [{ op: 'filter', domains: [domains[0]!] }, { op: 'tokenize' }, { op: 'pack' }, { op: 'shuffle', bufferSize: 4 }, { op: 'batch', dropRemainder: true }];
  const trained = await drain(assembleFlow(fromArray(docs), steps, await context())());
  assert.ok(trained.length > 0);
  for (const b of trained) assert.deepEqual([...new Set([...b.domainIds!].map((i) => b.domains![i]))], [domains[0]]);
  const evalSteps = steps.filter((s) => s.op !== 'shuffle');
  const inOrder = await drain(assembleFlow(fromArray(docs), evalSteps, await context())());
  assert.deepEqual(tokens(await drain(assembleFlow(fromArray(docs), steps, await context(true))())), tokens(inOrder));
  assert.notDeepEqual(tokens(trained), tokens(inOrder), 'training shuffles');
});

test('assembling refuses a list whose ops do not fit together', async () => {
  assert.throws(() => assembleFlow(fromArray(textRecords(3)), [{ op: 'pack' }, { op: 'batch' }], {} as FlowContext), /data\.flow: \[0\] pack takes tokenized documents but gets documents/);
});
