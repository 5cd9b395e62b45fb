import type { DecodedBytes } from './decoded-bytes.js';
import { gzipBytes } from './gzip.js';
import { plainBytes } from './plain.js';
import { zstdCliAvailable, zstdCliBytes } from './zstd-cli.js';
import { zstdJsBytes } from './zstd-js.js';

/** How `.zst` files are decoded: 'auto' = the zstd CLI when it is on PATH, else the JS decoder. */
export type ZstdDecoderChoice = 'auto' | 'cli' | 'js';

export interface OpenDecodedOptions {
  zstd?: ZstdDecoderChoice;
  /** Skip this many decoded bytes first (resume). A seek for plain files; a re-decode otherwise. */
  start?: number;
}

export type Compression = 'none' | 'gzip' | 'zstd';

/** By file name: `.gz` → gzip, `.zst`/`.zstd` → zstd, anything else is read as plain bytes. */
export function compressionOf(file: string): Compression {
  if (/\.gz$/i.test(file)) return 'gzip';
  if (/\.zstd?$/i.test(file)) return 'zstd';
  return 'none';
}

/** The decoded bytes of `file`, starting at decoded byte `start`. */
export function openDecoded(file: string, options: OpenDecodedOptions = {}): DecodedBytes {
  const start = options.start ?? 0;
  const compression = compressionOf(file);
  if (compression === 'none') return plainBytes(file, start);
  let inner: DecodedBytes;
  if (compression === 'gzip') inner = gzipBytes(file);
  else {
    const choice = options.zstd ?? 'auto';
    if (choice === 'cli' && !zstdCliAvailable()) {
      throw new Error(`${file}: decoder 'cli' was requested but no zstd executable is on PATH (use 'js' or 'auto')`);
    }
    const kind = choice === 'auto' ? (zstdCliAvailable() ? 'cli' : 'js') : choice;
    inner = kind === 'cli' ? zstdCliBytes(file) : zstdJsBytes(file);
  }
  return start > 0 ? skipBytes(inner, start) : inner;
}

/** Drop the first `count` decoded bytes: how a compressed file is resumed at a byte offset. */
function skipBytes(inner: DecodedBytes, count: number): DecodedBytes {
  return {
    file: inner.file,
    decoder: inner.decoder,
    bufferedBytes: () => inner.bufferedBytes(),
    close: () => inner.close(),
    async *[Symbol.asyncIterator]() {
      let left = count;
      for await (const chunk of inner) {
        if (left >= chunk.length) { left -= chunk.length; continue; }
        yield left > 0 ? chunk.subarray(left) : chunk;
        left = 0;
      }
      if (left > 0) throw new Error(`${inner.file}: cannot resume at decoded byte ${count}: the file has only ${count - left} bytes`);
    },
  };
}
