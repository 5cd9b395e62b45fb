import { createReadStream } from 'node:fs';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { DecodedBytes } from './decoded-bytes.js';
import { DecodeError } from './decode-error.js';

/** A `.gz` file through node:zlib's streaming gunzip (concatenated members included). */
export function gzipBytes(file: string, chunkBytes = 1 << 16): DecodedBytes {
  let gunzip: Gunzip | undefined;
  let closed = false;
  return {
    file,
    decoder: 'gzip',
    bufferedBytes: () => (gunzip ? gunzip.readableLength + gunzip.writableLength : 0),
    close: async () => { closed = true; gunzip?.destroy(); },
    async *[Symbol.asyncIterator]() {
      const input = createReadStream(file, { highWaterMark: chunkBytes });
      gunzip = createGunzip({ chunkSize: chunkBytes });
      const g = gunzip;
      input.on('error', (error) => g.destroy(error));
      input.pipe(g);
      let produced = 0;
      try {
        for await (const chunk of g) {
          produced += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        // zlib accepts an empty input as an empty stream; a gzip file always has a header.
        if (produced === 0 && input.bytesRead === 0 && !closed) throw new Error('unexpected end of file (empty input)');
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        throw new DecodeError(file, 'gzip', (error as Error).message, { cause: error });
      } finally {
        input.destroy();
        g.destroy();
      }
    },
  };
}
