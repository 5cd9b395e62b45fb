/** Which decoder turns a file's bytes into JSONL bytes. */
export type DecoderKind = 'plain' | 'gzip' | 'zstd-cli' | 'zstd-js';

/**
 * The decoded bytes of one file, as chunks pulled on demand (backpressure: nothing more is
 * read or decoded than one chunk ahead of the consumer plus the bounded buffers it reports).
 */
export interface DecodedBytes extends AsyncIterable<Buffer> {
  readonly file: string;
  readonly decoder: DecoderKind;
  /** Bytes read or decoded but not yet handed to the consumer (stream buffers, pending input). */
  bufferedBytes(): number;
  /** Stop early: ends the child process / closes the file. Safe to call twice. */
  close(): Promise<void>;
}
