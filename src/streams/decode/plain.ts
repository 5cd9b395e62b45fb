import { createReadStream, type ReadStream } from 'node:fs';
import type { DecodedBytes } from './decoded-bytes.js';
import { DecodeError } from './decode-error.js';

/** An uncompressed file from byte `start` on: resuming a plain file is a seek. */
export function plainBytes(file: string, start = 0, chunkBytes = 1 << 20): DecodedBytes {
  let stream: ReadStream | undefined;
  return {
    file,
    decoder: 'plain',
    bufferedBytes: () => stream?.readableLength ?? 0,
    close: async () => { stream?.destroy(); },
    async *[Symbol.asyncIterator]() {
      stream = createReadStream(file, { start, highWaterMark: chunkBytes });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        throw new DecodeError(file, 'plain', (error as Error).message, { cause: error });
      } finally {
        stream.destroy();
      }
    },
  };
}
