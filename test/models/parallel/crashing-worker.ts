/** A gradient worker that starts, then dies (exit code 3) on its first request: for the pool's failure test. */
import { parentPort } from 'node:worker_threads';

parentPort!.postMessage({ kind: 'ready' });
parentPort!.on('message', () => process.exit(3));
