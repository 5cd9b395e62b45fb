import { Worker } from 'node:worker_threads';
import { ZSTD_MAX_WINDOW } from '../zstd/zstd-stream-decoder.js';
import type { WorkerReply, WorkerRequest } from '../zstd/decode-worker.js';
import type { DecodedBytes } from './decoded-bytes.js';
import { DecodeError } from './decode-error.js';

/**
 * The JS zstd decoder on a worker thread: decoding overlaps with the consumer's parsing (as the
 * CLI's does), without any executable. Requests are pipelined one batch ahead, so at most two
 * batches of `blocksPerBatch` blocks (≤ 128 KiB each) are in flight: 2 MiB by default.
 * The worker holds the event loop only while a reply is awaited.
 */
export function zstdWorkerBytes(file: string, maxWindow = ZSTD_MAX_WINDOW, blocksPerBatch = 8, chunkBytes = 1 << 16): DecodedBytes {
  let worker: Worker | undefined;
  let buffered = 0;
  return {
    file,
    decoder: 'zstd-worker',
    bufferedBytes: () => buffered,
    close: async () => { await worker?.terminate(); },
    async *[Symbol.asyncIterator]() {
      const w = new Worker(new URL('../zstd/decode-worker.js', import.meta.url), {
        workerData: { file, maxWindow, chunkBytes },
        // None of the parent's flags: --input-type / --eval (and their script) would break the worker,
        // and the decoder needs none.
        execArgv: [],
      });
      worker = w;
      w.unref();
      const replies: (WorkerReply | Error)[] = [];
      let wake: (() => void) | undefined;
      const push = (reply: WorkerReply | Error) => { replies.push(reply); wake?.(); };
      w.on('message', (reply: WorkerReply) => push(reply));
      w.on('error', (error) => push(error));
      w.on('exit', (code) => push(new Error(`decoder worker exited with code ${code}`)));
      const ask = () => w.postMessage({ blocks: blocksPerBatch } satisfies WorkerRequest);
      const nextReply = async (): Promise<WorkerReply | Error> => {
        if (replies.length === 0) {
          w.ref();
          try { await new Promise<void>((resolve) => { wake = resolve; }); } finally { wake = undefined; w.unref(); }
        }
        return replies.shift()!;
      };
      try {
        ask();
        for (;;) {
          const reply = await nextReply();
          if (reply instanceof Error) throw new DecodeError(file, 'zstd-worker', reply.message, { cause: reply });
          if (reply.kind === 'error') {
            const cause = Object.assign(new Error(reply.message), { code: reply.code });
            throw new DecodeError(file, 'zstd-worker', reply.message, { cause });
          }
          if (!reply.done) ask(); // decode the next batch while this one is consumed
          buffered = reply.blocks.reduce((n, b) => n + b.length, 0);
          for (const block of reply.blocks) {
            buffered -= block.length;
            yield Buffer.from(block.buffer, block.byteOffset, block.length);
          }
          if (reply.done) return;
        }
      } finally {
        w.removeAllListeners();
        await w.terminate();
      }
    },
  };
}
