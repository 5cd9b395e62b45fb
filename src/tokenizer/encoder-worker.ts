/** Worker thread of `EncoderPool`: encodes batches with the JavaScript byte-level BPE. */
import { parentPort, workerData } from 'node:worker_threads';
import { ByteLevelBpeEncoder } from './bpe-fast-encoder.js';
import type { TokenizerJson } from './tokenizer-json.js';
import type { EncodeReply, EncodeRequest } from './encoder-protocol.js';

const encoder = new ByteLevelBpeEncoder(JSON.parse((workerData as { json: string }).json) as TokenizerJson);

parentPort!.on('message', (request: EncodeRequest) => {
  try {
    const encoded = request.texts.map((t) => encoder.encode(t));
    const offsets = new Int32Array(encoded.length + 1);
    encoded.forEach((ids, i) => { offsets[i + 1] = offsets[i]! + ids.length; });
    const ids = new Int32Array(offsets[encoded.length]!);
    encoded.forEach((doc, i) => ids.set(doc, offsets[i]!));
    const reply: EncodeReply = { id: request.id, ids, offsets };
    parentPort!.postMessage(reply, [ids.buffer, offsets.buffer]);
  } catch (error) {
    const reply: EncodeReply = { id: request.id, error: (error as Error).message };
    parentPort!.postMessage(reply);
  }
});
