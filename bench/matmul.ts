/**
 * Prints the backend's plain 2-D matMul rate (GFLOP/s) as JSON.
 * Usage: node dist/bench/matmul.js [auto|wasm|cpu|webgpu|tensorflow]
 */
import { selectBackend, type BackendRequest } from '../src/models/backend.js';
import { matmulRate } from './matmul-rate.js';

const request = (process.argv[2] ?? 'wasm') as BackendRequest;
const backend = await selectBackend(request);
const shapes: [number, number, number][] = backend.name === 'cpu'
  ? [[512, 256, 512], [1024, 512, 1024]]
  : [[4096, 512, 2048], [2048, 256, 512], [2048, 256, 1024], [512, 256, 512], [256, 128, 256]];
const results = [];
for (const [m, k, n] of shapes) results.push(await matmulRate(m, k, n));
console.log(JSON.stringify({ bench: 'matmul', backend: backend.name, reason: backend.reason, node: process.version, results }, null, 2));
