/**
 * Runner of the splice cases (README §9.3 Splice): LibMoE's `prepare_inputs_labels_for_multimodal`
 * with stub image features; the objective is Σ inputs_embeds·R, differentiated with respect
 * to the image features and the embedding table.
 */
import { tf, type Tensor2D, type Tensor3D } from '../../../src/models/tf.js';
import { spliceMultimodal } from '../../../src/models/vlm/splice/splice.js';
import type { SpliceInput } from '../../../src/models/vlm/splice/plan.js';
import type { Check } from '../compare.js';
import { checkExpected, type Got } from './check-expected.js';
import { int32, type ModelCase } from './model-case.js';
import { floatInput, gradsInto, input, inputVariable, loadParams } from './runner-support.js';

export function runSplice(c: ModelCase): Check[] {
  const k = c.config as { padding_side: 'left' | 'right'; tokenizer_model_max_length: number | null };
  const ids = input(c, 'input_ids');
  const [b, l] = ids.shape as [number, number];
  const batch: SpliceInput = {
    batchSize: b, seqLen: l, ids: int32(ids), labels: int32(input(c, 'labels')), attentionMask: int32(input(c, 'attention_mask')),
    // Only whether position ids are passed matters: LibMoE recomputes them.
    withPositionIds: c.inputs['position_ids'] !== undefined && c.inputs['position_ids'] !== null,
  };
  const table = c.params['embed_tokens.weight']!;
  const embed = tf.tidy(() => tf.variable(tf.zeros(table.shape), true));
  const params = new Map([['embed_tokens.weight', embed]]);
  const feats = inputVariable(c, 'image_features');
  const r = floatInput(c, 'R');
  const got = new Map<string, Got>();
  try {
    loadParams(c, params);
    const { value, grads } = tf.variableGrads(() => {
      const out = spliceMultimodal(batch, embed as unknown as Tensor2D, feats as unknown as Tensor3D, { paddingSide: k.padding_side, maxLength: k.tokenizer_model_max_length });
      got.set('inputs_embeds', out.inputsEmbeds.dataSync())
        .set('labels', out.plan.labels).set('attention_mask', out.plan.attentionMask).set('position_ids', out.plan.positionIds)
        // The spliced batch has no ids (its type holds none): the LM reads inputs_embeds, as LibMoE returns input_ids None.
        .set('input_ids_is_none', true);
      return tf.sum(tf.mul(out.inputsEmbeds, r)) as tf.Scalar;
    }, [feats, embed]);
    got.set('objective', value.dataSync()[0]!);
    gradsInto(got, grads, new Map([['image_features', feats]]), params);
    tf.dispose([value, ...Object.values(grads)]);
    return checkExpected(c, got);
  } finally {
    tf.dispose([embed, feats, r]);
  }
}
