/** A dense FFN forward+backward on the current backend, timed with async reads only (webgpu). */
import { denseFfnStep } from '../src/models/gpu-ops.js';

export async function denseFfnStepMs(t: number, d: number, h: number, reps: number): Promise<{ medianMs: number; gflops: number }> {
  const ms: number[] = [];
  for (let i = 0; i <= reps; i++) ms.push(await denseFfnStep(t, d, h));
  const steady = ms.slice(1).sort((a, b) => a - b);
  const med = steady[Math.floor(steady.length / 2)]!;
  return { medianMs: Math.round(med * 10) / 10, gflops: Math.round((3 * 2 * t * 2 * d * h) / (med / 1000) / 1e9) };
}
