import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../src/models/backend.js';
import { tf, type Tensor2D, type Tensor3D } from '../../../src/models/tf.js';
import { planSplice, type SpliceInput } from '../../../src/models/vlm/splice/plan.js';
import { spliceMultimodal } from '../../../src/models/vlm/splice/splice.js';
import { IGNORE_INDEX, IMAGE_TOKEN_INDEX } from '../../../src/models/vlm/splice/constants.js';
import * as dataPlane from '../../../src/ops/items/conversation-sample.js';
import type { ImageTextBatch } from '../../../src/ops/items/image-text-batch.js';

const IMG = IMAGE_TOKEN_INDEX;
const X = IGNORE_INDEX;

/** One batch from rows of [id, label] pairs, right-padded with id 0 / label −100 / mask 0 as LLaVA's collator does. */
function batch(rows: Array<Array<[number, number]>>, withPositionIds = false): SpliceInput {
  const l = Math.max(...rows.map((r) => r.length));
  const ids: number[] = [];
  const labels: number[] = [];
  const mask: number[] = [];
  for (const r of rows) {
    for (let t = 0; t < l; t++) {
      ids.push(t < r.length ? r[t]![0] : 0);
      labels.push(t < r.length ? r[t]![1] : X);
      mask.push(t < r.length ? 1 : 0);
    }
  }
  return { batchSize: rows.length, seqLen: l, ids, labels, attentionMask: mask, withPositionIds };
}

const right = { maxLength: null, paddingSide: 'right' } as const;

test('the model\'s image and ignore ids are the data plane\'s', () => {
  assert.equal(IMAGE_TOKEN_INDEX, dataPlane.IMAGE_TOKEN_INDEX);
  assert.equal(IGNORE_INDEX, dataPlane.IGNORE_INDEX);
});

test('an <image> token becomes its P feature rows, each labelled −100', () => {
  const plan = planSplice(batch([[[5, X], [IMG, X], [7, 7], [8, 8]]]), { ...right, imageTokens: 3, images: 1 });
  assert.equal(plan.seqLen, 6);
  assert.deepEqual([...plan.labels!], [X, X, X, X, 7, 8]);
  // Text rows first in the table (ids 5, 7, 8), then feature rows 3..5, then the zero row.
  assert.deepEqual([...plan.textIds], [5, 7, 8]);
  assert.deepEqual([...plan.rowSource], [0, 3, 4, 5, 1, 2]);
  assert.deepEqual([...plan.attentionMask!], [1, 1, 1, 1, 1, 1]);
});

test('a text-only sample inserts nothing but consumes its (zero) image, so the next sample gets the next features', () => {
  const plan = planSplice(batch([[[4, 4], [5, 5]], [[IMG, X], [6, 6]]]), { ...right, imageTokens: 2, images: 2 });
  assert.equal(plan.seqLen, 3);
  // Table: text 4, 5, 6 (rows 0–2); image block 0 (the dummy) rows 3–4, block 1 rows 5–6; zero row 7.
  assert.deepEqual([...plan.rowSource], [0, 1, 7, 5, 6, 2]);
  assert.deepEqual([...plan.labels!], [4, 5, X, X, X, 6]);
  assert.deepEqual([...plan.attentionMask!], [1, 1, 0, 1, 1, 1]);
  assert.throws(() => planSplice(batch([[[4, 4]], [[IMG, X]]]), { ...right, imageTokens: 2, images: 1 }), /consumes 2 image feature blocks/);
});

test('the collator\'s padding is dropped before splicing, and sequences are cut to tokenizer_model_max_length', () => {
  const plan = planSplice(batch([[[1, 1], [IMG, X], [2, 2], [3, 3]], [[IMG, X]]]), { maxLength: 4, paddingSide: 'right', imageTokens: 2, images: 2 });
  assert.equal(plan.seqLen, 4);
  assert.deepEqual([...plan.labels!], [1, X, X, 2, X, X, X, X]);
  assert.deepEqual([...plan.attentionMask!], [1, 1, 1, 1, 1, 1, 0, 0]);
});

test('left padding puts the zeros, −100 and mask 0 first; position ids count the real rows and come out only when passed', () => {
  const input = batch([[[1, 1], [2, 2], [3, 3]], [[4, 4]]], true);
  const plan = planSplice(input, { maxLength: null, paddingSide: 'left', imageTokens: 2, images: 2 });
  assert.deepEqual([...plan.labels!], [1, 2, 3, X, X, 4]);
  assert.deepEqual([...plan.attentionMask!], [1, 1, 1, 0, 0, 1]);
  assert.deepEqual([...plan.positionIds!], [0, 1, 2, 0, 0, 0]);
  assert.equal(planSplice({ ...input, withPositionIds: false }, { maxLength: null, paddingSide: 'left', imageTokens: 2, images: 2 }).positionIds, null);
});

test('the spliced embeddings are the token rows and feature rows in place, and gradients reach both', async () => {
  await selectBackend('cpu');
  const table = tf.variable(tf.tidy(() => tf.randomNormal([10, 4], 0, 1, 'float32', 1))) as unknown as tf.Variable;
  const feats = tf.variable(tf.tidy(() => tf.randomNormal([1, 2, 4], 0, 1, 'float32', 2))) as unknown as tf.Variable;
  const input = batch([[[3, 3], [IMG, X], [9, 9]]]);
  const { value, grads } = tf.variableGrads(() => {
    const out = spliceMultimodal(input, table as unknown as Tensor2D, feats as unknown as Tensor3D, right);
    const rows = out.inputsEmbeds.arraySync()[0]!;
    assert.deepEqual(rows[0], (table.arraySync() as number[][])[3]);
    assert.deepEqual(rows.slice(1, 3), (feats.arraySync() as number[][][])[0]);
    assert.deepEqual(rows[3], (table.arraySync() as number[][])[9]);
    return tf.sum(out.inputsEmbeds) as tf.Scalar;
  }, [table, feats]);
  const dTable = grads[table.name]!.arraySync() as number[][];
  assert.deepEqual(dTable.map((r) => r[0]), [0, 0, 0, 1, 0, 0, 0, 0, 0, 1], 'only the used ids get gradient');
  assert.ok((grads[feats.name]!.dataSync() as Float32Array).every((g) => g === 1));
  tf.dispose([value, ...Object.values(grads), table, feats]);
});

test('the data plane\'s collated batch is what the splice reads, as LLaVA training passes it (no position ids)', () => {
  const collated: ImageTextBatch = {
    ids: Int32Array.of(1, IMG, 2, 3, 0), labels: Int32Array.of(X, X, 2, 3, X), attentionMask: Uint8Array.of(1, 1, 1, 1, 0),
    batchSize: 1, seqLen: 5, modality: ['image'], imageRows: Int32Array.of(0), provenance: [null],
  };
  const plan = planSplice({ ...collated, withPositionIds: false }, { ...right, imageTokens: 2, images: 1 });
  assert.deepEqual([...plan.labels!], [X, X, X, 2, 3]);
  assert.equal(plan.positionIds, null);
});
