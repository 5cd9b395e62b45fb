import { createReadStream, type ReadStream } from 'node:fs';
import { ZstdStreamDecoder, ZSTD_MAX_WINDOW } from '../zstd/zstd-stream-decoder.js';
import type { DecodedBytes } from './decoded-bytes.js';
import { DecodeError } from './decode-error.js';

/**
 * A `.zst` file decoded in this thread by the vendored, patched fzstd block decoder: no external
 * program, windows up to 2 GiB, history grown lazily. Output is pulled one block (≤ 128 KiB) at a
 * time, so memory stays bounded even for data that expands enormously.
 */
export function zstdJsBytes(file: string, maxWindow = ZSTD_MAX_WINDOW, chunkBytes = 1 << 16): DecodedBytes {
  let stream: ReadStream | undefined;
  let decoder: ZstdStreamDecoder | undefined;
  return {
    file,
    decoder: 'zstd-js',
    bufferedBytes: () => (stream?.readableLength ?? 0) + (decoder?.bufferedInput() ?? 0),
    close: async () => { stream?.destroy(); },
    async *[Symbol.asyncIterator]() {
      const dec = new ZstdStreamDecoder(maxWindow);
      decoder = dec;
      const input = createReadStream(file, { highWaterMark: chunkBytes });
      stream = input;
      try {
        for await (const chunk of input) {
          dec.push(chunk as Buffer);
          for (let block = dec.next(); block !== null; block = dec.next()) {
            yield Buffer.from(block.buffer, block.byteOffset, block.length);
          }
        }
        dec.finish();
      } catch (error) {
        throw new DecodeError(file, 'zstd-js', (error as Error).message, { cause: error });
      } finally {
        input.destroy();
      }
    },
  };
}
