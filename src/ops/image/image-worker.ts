/** Worker thread of `ImagePool`: decodes and preprocesses one image per request. */
import { parentPort } from 'node:worker_threads';
import { ImageError } from './decode-image.js';
import type { ImageReply, ImageRequest } from './image-protocol.js';
import { preprocessImage } from './preprocess.js';

parentPort!.on('message', (request: ImageRequest) => {
  preprocessImage(request.path, request.spec, request).then(
    (tensor) => {
      const reply: ImageReply = { id: request.id, data: tensor.data, shape: [...tensor.shape] };
      parentPort!.postMessage(reply, [tensor.data.buffer as ArrayBuffer]);
    },
    (error: Error) => {
      const reply: ImageReply = { id: request.id, error: error.message, ...(error instanceof ImageError ? { reason: error.reason } : {}) };
      parentPort!.postMessage(reply);
    },
  );
});
