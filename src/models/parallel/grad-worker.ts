/**
 * One data-parallel worker thread: its own TensorFlow.js backend and a replica of the model.
 * Per request it loads the shared weights (when they changed), computes one micro-batch's
 * gradients with the trainer's own code (micro-batch-grads.ts), writes them into its shared
 * gradient buffer and replies with the micro-batch's numbers (loss, routing statistics).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tf, type Variable } from '../tf.js';
import { selectBackend, type BackendName } from '../backend.js';
import { releaseNativeMatMul } from '../kernels/native-matmul.js';
import { TransformerLM } from '../lm/transformer-lm.js';
import { createMoeLayer } from '../moe/registry.js';
import { microBatchGrads } from '../lm/micro-batch-grads.js';
import { StepReadback } from '../lm/step-readback.js';
import type { MicroBatch } from '../lm/micro-batch.js';
import { copyOut, tensorFrom } from './host-copy.js';
import { type StepRequest, type WorkerInit, type WorkerReply } from './protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (r: WorkerReply): void => port.postMessage(r);
const errorReply = (e: unknown, id?: number): WorkerReply => ({ kind: 'error', ...(id !== undefined ? { id } : {}), message: String((e as Error)?.message ?? e), ...((e as Error)?.stack ? { stack: (e as Error).stack! } : {}) });

let model: TransformerLM;
let vars: Variable[];
const byTfName = new Map<string, number>();
let loadedVersion = -1;
const weights = new Float32Array(init.weights);
const grads = new Float32Array(init.grads);

try {
  // One thread per worker (the workers are the parallelism), the main thread's matMul library.
  await selectBackend(init.backend as BackendName, { threads: 1, matmul: init.matmul });
  model = new TransformerLM(init.config, createMoeLayer);
  model.setRecompute(init.recompute);
  const { names, shapes } = init.layout;
  vars = names.map((n, i) => {
    const v = model.params.get(n);
    if (v === undefined) throw new Error(`the replica has no parameter "${n}"`);
    if (v.shape.join() !== shapes[i]!.join()) throw new Error(`parameter "${n}": replica shape [${v.shape}] ≠ [${shapes[i]}]`);
    byTfName.set(v.name, i);
    return v;
  });
  if (model.params.size !== names.length) throw new Error(`the replica has ${model.params.size} parameters, the trainer ${names.length}`);
  send({ kind: 'ready' });
} catch (e) {
  send(errorReply(e));
}

port.on('message', (msg: StepRequest | { kind: 'close' }) => {
  if (msg.kind === 'close') {
    model?.dispose();
    // ONNX Runtime's sessions go before the thread ends: its binding aborted the process when a
    // terminated worker's teardown finalised them (see grad-pool.ts close()).
    releaseNativeMatMul();
    port.close();
    return;
  }
  step(msg).then(send, (e: unknown) => send(errorReply(e, msg.id)));
});

async function step(req: StepRequest): Promise<WorkerReply> {
  if (req.weightsVersion !== loadedVersion) loadWeights(req.weightsVersion);
  checkMicroBatch(req.mb);
  const readback = new StepReadback();
  try {
    const g = microBatchGrads(model, vars, req.mb, req.step, readback);
    const present: number[] = [];
    try {
      for (const [tfName, t] of Object.entries(g)) {
        const i = byTfName.get(tfName)!;
        await copyOut(t, grads, init.layout.offsets[i]!);
        present.push(i);
      }
    } finally {
      tf.dispose(Object.values(g));
    }
    const numbers = await readback.readNumbers();
    return { kind: 'done', id: req.id, numbers, present };
  } finally {
    readback.dispose();
  }
}

function loadWeights(version: number): void {
  const { offsets, shapes } = init.layout;
  vars.forEach((v, i) => tf.tidy(() => v.assign(tensorFrom(weights, offsets[i]!, shapes[i]!))));
  loadedVersion = version;
}

/** wasm does not bounds-check gathers: a malformed micro-batch fails here, naming what is wrong. */
function checkMicroBatch(mb: MicroBatch): void {
  const n = mb.rows * mb.seqLen;
  if (mb.inputs.length !== n || mb.targets.length !== n) throw new Error(`micro-batch of ${mb.rows}×${mb.seqLen} has ${mb.inputs.length} inputs and ${mb.targets.length} targets`);
  const v = model.config.vocabSize;
  for (const ids of [mb.inputs, mb.targets]) {
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i]! >= 0 && ids[i]! < v)) throw new RangeError(`micro-batch position ${i}: token id ${ids[i]} outside the vocabulary [0, ${v})`);
    }
  }
}
