import type { TokenBatch } from '../train-types.js';

/** One micro-batch's slice of a TokenBatch: inputs = window[:-1], targets = window[1:]. */
export interface MicroBatch {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  readonly rows: number;
  readonly seqLen: number;
}

export function splitBatch(batch: TokenBatch, parts: number, vocabSize?: number): MicroBatch[] {
  const { batchSize: B, seqLen: T, tokens } = batch;
  if (tokens.length !== B * (T + 1)) throw new Error(`TokenBatch.tokens has ${tokens.length} ids, expected batchSize·(seqLen+1) = ${B * (T + 1)}`);
  if (vocabSize !== undefined) {
    // An out-of-range id would gather garbage (wasm does not bounds-check): fail naming it.
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i]!;
      if (!(id >= 0 && id < vocabSize)) throw new RangeError(`TokenBatch row ${Math.floor(i / (T + 1))}, position ${i % (T + 1)}: token id ${id} outside the vocabulary [0, ${vocabSize})`);
    }
  }
  if (B % parts !== 0) throw new Error(`batchSize ${B} is not divisible into ${parts} micro-batches`);
  const rows = B / parts;
  const out: MicroBatch[] = [];
  for (let m = 0; m < parts; m++) {
    const inputs = new Int32Array(rows * T);
    const targets = new Int32Array(rows * T);
    for (let r = 0; r < rows; r++) {
      const src = (m * rows + r) * (T + 1);
      inputs.set(tokens.subarray(src, src + T), r * T);
      targets.set(tokens.subarray(src + 1, src + T + 1), r * T);
    }
    out.push({ inputs, targets, rows, seqLen: T });
  }
  return out;
}
