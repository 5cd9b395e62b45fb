/**
 * Writes the batches a pipeline trains on, and its initial weights, in the dump format of
 * ../shared/anchors/lm_train_torch.py (`moeflow-anchor-batches/1`: PREFIX.bin int32 LE
 * [N, rows, seqLen + 1], PREFIX.json, PREFIX.init.safetensors), using this project's own data plan
 * and model builder — the same calls `pipeline run`'s driver makes, in its order — so the dump
 * follows the code wherever it moves (the anchors' dump_batches.mjs imports a fixed dist layout).
 * Each batch's hash is the metrics table's `batch_hash`, so a run's steps can be checked against it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineConfig } from '../src/config/schema.js';
import { documentKey, evalBatches, heldOutDocuments, runTokenizer, stepRows, trainingFlow } from '../src/cli/run/data-plan.js';
import { buildTrainer, lmConfigOf } from '../src/cli/run/build-model.js';
import { bestEncoder } from '../src/tokenizer/batch-encoder.js';
import { batchHash } from '../src/sinks/tables/metrics.js';
import { writeSafetensors, type SafeTensor } from '../src/models/checkpoint/safetensors.js';
import type { TokenBatch } from '../src/models/train-types.js';

export interface AnchorDump {
  readonly sidecar: string;
  readonly batches: number;
  readonly hashes: readonly string[];
  readonly parameterCount: number;
}

/** Dumps the first `n` training batches of `config` (and its eval batches, initial weights) to PREFIX.*; the backend must be started. */
export async function writeAnchorDump(config: PipelineConfig, n: number, prefix: string): Promise<AnchorDump> {
  const c = config;
  const heldDocs = await heldOutDocuments(c);
  const heldKeys = new Set(heldDocs.map(documentKey));
  const scratch = await mkdtemp(join(tmpdir(), 'moeflow-anchor-dump-'));
  const batches: TokenBatch[] = [];
  let evalSet: TokenBatch[] = [];
  let encoder: ReturnType<typeof bestEncoder> | undefined;
  let stage: ReturnType<ReturnType<typeof trainingFlow>> | undefined;
  try {
    const tok = await runTokenizer(c, scratch, heldKeys, () => {});
    encoder = bestEncoder(tok.json);
    evalSet = c.trainer.evalEvery > 0 && heldDocs.length > 0 ? await evalBatches(c, heldDocs, encoder, tok) : [];
    stage = trainingFlow(c, encoder, tok, heldKeys)();
    for await (const b of stage) {
      batches.push(b);
      if (batches.length >= n) break;
    }
    if (batches.length < n) throw new Error(`anchor dump: the data flow ended after ${batches.length} of ${n} batches`);
    const rows = stepRows(c);
    const T1 = c.data.seqLen + 1;
    const pack = (list: readonly TokenBatch[]): Buffer => {
      const buf = Buffer.alloc(list.length * rows * T1 * 4);
      list.forEach((b, i) => {
        if (b.tokens.length !== rows * T1) throw new Error(`anchor dump: batch ${i} has ${b.tokens.length} tokens, expected ${rows}×${T1}`);
        Buffer.from(new Int32Array(b.tokens).buffer).copy(buf, i * rows * T1 * 4);
      });
      return buf;
    };
    await writeFile(`${prefix}.bin`, pack(batches));
    if (evalSet.length) await writeFile(`${prefix}.eval.bin`, pack(evalSet));
    const trainer = buildTrainer(c, tok.vocabSize);
    const tensors = new Map<string, SafeTensor>();
    let parameterCount = 0;
    for (const [name, v] of trainer.model.params) {
      tensors.set(name, { dtype: 'F32', shape: v.shape, data: await v.data() as Float32Array });
      parameterCount += v.size;
    }
    trainer.dispose();
    await writeSafetensors(`${prefix}.init.safetensors`, tensors, { format: 'moeflow-anchor-init/1' });
    const hashes = batches.map((b) => String(batchHash([b])));
    const sidecar = {
      format: 'moeflow-anchor-batches/1', dtype: 'int32-le',
      shape: [batches.length, rows, T1], file: `${prefix}.bin`,
      eval: evalSet.length ? { file: `${prefix}.eval.bin`, shape: [evalSet.length, rows, T1] } : null,
      vocabSize: tok.vocabSize, separatorId: tok.separatorId, tokenizer: tok.origin, hashes,
      model: lmConfigOf(c, tok.vocabSize), trainer: c.trainer,
      data: { seqLen: c.data.seqLen, batchSize: c.data.batchSize, seed: c.data.seed, heldOutDocs: heldDocs.length },
      init: { file: `${prefix}.init.safetensors`, parameterCount, names: [...tensors.keys()] },
    };
    await writeFile(`${prefix}.json`, JSON.stringify(sidecar, null, 1));
    return { sidecar: `${prefix}.json`, batches: batches.length, hashes, parameterCount };
  } finally {
    await stage?.close?.();
    await encoder?.close?.();
    await rm(scratch, { recursive: true, force: true });
  }
}
