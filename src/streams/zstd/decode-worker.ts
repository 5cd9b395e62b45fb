/**
 * Worker-thread entry for `zstdWorkerBytes`: decodes one .zst file with ZstdStreamDecoder and
 * answers each request `{ blocks: n }` with up to n decoded blocks (transferred, not copied).
 * It only decodes on request, so the parent's credit bounds the memory in flight.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ZstdStreamDecoder } from './zstd-stream-decoder.js';

export interface WorkerRequest { blocks: number }
export type WorkerReply =
  | { kind: 'blocks'; blocks: Uint8Array[]; done: boolean }
  | { kind: 'error'; message: string; code?: string };

const { file, maxWindow, chunkBytes } = workerData as { file: string; maxWindow: number; chunkBytes: number };
const port = parentPort!;
const decoder = new ZstdStreamDecoder(maxWindow);
let fd: number | undefined;
let eof = false;

port.on('message', (request: WorkerRequest) => {
  try {
    fd ??= openSync(file, 'r');
    const blocks: Uint8Array[] = [];
    let done = false;
    while (blocks.length < request.blocks) {
      const block = decoder.next();
      if (block !== null) {
        // Transfer needs a buffer of its own (fzstd's blocks are fresh, but be sure).
        blocks.push(block.byteOffset === 0 && block.byteLength === block.buffer.byteLength ? block : block.slice());
        continue;
      }
      if (eof) {
        decoder.finish();
        done = true;
        break;
      }
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      const n = readSync(fd, chunk, 0, chunkBytes, null);
      if (n === 0) {
        eof = true;
        closeSync(fd);
      } else decoder.push(chunk.subarray(0, n));
    }
    const reply: WorkerReply = { kind: 'blocks', blocks, done };
    port.postMessage(reply, blocks.map((b) => b.buffer as ArrayBuffer));
  } catch (error) {
    const reply: WorkerReply = { kind: 'error', message: (error as Error).message, code: (error as { code?: string }).code };
    port.postMessage(reply);
  }
});
