/**
 * Held-out answer accuracy of a VLM, teacher-forced (no generation): at every position whose
 * next label is an answer token (label ≠ −100 after the splice), whether the argmax of the
 * logits is that token. `rowsExact` counts rows whose every answer token is right (an exact
 * match of the argmax answer under teacher forcing), `answersExact` the answers (assistant turns)
 * whose every token is right.
 */
import { tf } from '../../tf.js';
import type { VisionLanguageModel } from './vision-language-model.js';
import type { VlmBatch } from './vlm-batch.js';
import { withRoutingRead } from '../../moe/routing-reads.js';

export interface AnswerAccuracy {
  readonly correct: number;
  readonly tokens: number;
  readonly rowsExact: number;
  readonly rows: number;
  /** Answers (maximal runs of consecutive target positions: one assistant turn each) all of whose tokens are right. */
  readonly answersExact: number;
  readonly answers: number;
  /** Σ cross-entropy over the answer tokens (nats). */
  readonly lossSum: number;
}

export async function answerAccuracy(model: VisionLanguageModel, batch: VlmBatch, step = 0): Promise<AnswerAccuracy> {
  let plan: ReturnType<VisionLanguageModel['forward']>['plan'] | undefined;
  let vocab = 0;
  const ctx = { training: false, step, totalSteps: 1 };
  // Routing read first where the backend cannot read synchronously (moe/routing-reads.ts).
  const [pred, logp] = await withRoutingRead(() => model.forward(batch, ctx), () => tf.tidy(() => {
    const fwd = model.forward(batch, ctx);
    plan = fwd.plan;
    vocab = fwd.logits.shape[1];
    return [tf.argMax(fwd.logits, 1), tf.logSoftmax(fwd.logits)];
  }));
  const predicted = (await pred!.data()) as Int32Array;
  const lp = (await logp!.data()) as Float32Array;
  tf.dispose([pred!, logp!]);
  const labels = plan!.labels!;
  const b = plan!.batchSize, l = plan!.seqLen;
  let correct = 0, tokens = 0, rowsExact = 0, rows = 0, lossSum = 0, answers = 0, answersExact = 0;
  for (let r = 0; r < b; r++) {
    let rowTokens = 0, rowCorrect = 0;
    let inAnswer = false, answerOk = true;
    for (let t = 0; t + 1 < l; t++) {
      const target = labels[r * l + t + 1]!;
      if (target < 0) {
        if (inAnswer) { answers++; if (answerOk) answersExact++; inAnswer = false; }
        continue;
      }
      if (!inAnswer) { inAnswer = true; answerOk = true; }
      const i = r * l + t;
      rowTokens++;
      if (predicted[i] === target) rowCorrect++;
      else answerOk = false;
      lossSum -= lp[i * vocab + target]!;
    }
    if (inAnswer) { answers++; if (answerOk) answersExact++; }
    if (rowTokens === 0) continue;
    rows++; tokens += rowTokens; correct += rowCorrect;
    if (rowCorrect === rowTokens) rowsExact++;
  }
  return { correct, tokens, rowsExact, rows, answersExact, answers, lossSum };
}
