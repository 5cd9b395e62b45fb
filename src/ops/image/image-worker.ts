/** Worker thread of `ImagePool`: decodes and preprocesses one image per request. */
import { parentPort } from 'node:worker_threads';
import { ImageError } from './decode-image.js';
import type { ImageReply, WorkerMessage } from './image-protocol.js';
import { preprocessImage } from './preprocess.js';

/**
 * Output buffers given back by the pool (`RecycleMessage`). A fresh 1.35 MB array costs about
 * 330 page faults when first written, 1–2 ms of kernel time per image on this machine, more
 * than the resize itself; a reused one costs none.
 */
const free: ArrayBuffer[] = [];
const MAX_FREE = 16;

function allocate(length: number, used: { reused: boolean }): Float32Array {
  const at = free.findIndex((b) => b.byteLength === length * 4);
  if (at >= 0) {
    used.reused = true;
    return new Float32Array(free.splice(at, 1)[0]!);
  }
  return new Float32Array(length);
}

parentPort!.on('message', (message: WorkerMessage) => {
  if ('recycle' in message) {
    for (const buffer of message.recycle) if (free.length < MAX_FREE) free.push(buffer);
    return;
  }
  const used = { reused: false };
  preprocessImage(message.path, message.spec, message, (n) => allocate(n, used)).then(
    (tensor) => {
      const reply: ImageReply = { id: message.id, data: tensor.data, shape: [...tensor.shape], reused: used.reused };
      parentPort!.postMessage(reply, [tensor.data.buffer as ArrayBuffer]);
    },
    (error: Error) => {
      const reply: ImageReply = { id: message.id, error: error.message, ...(error instanceof ImageError ? { reason: error.reason } : {}) };
      parentPort!.postMessage(reply);
    },
  );
});
