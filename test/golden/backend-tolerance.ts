import { FORWARD, GRADIENT, type Tolerance } from './compare.js';
import { MODEL_FORWARD, MODEL_GRADIENT } from './model/tolerances.js';

export type GoldenBackend = 'cpu' | 'wasm' | 'webgpu';

/**
 * The golden tolerances per backend. cpu and wasm keep ../shared/golden/README.md's float32
 * bounds unchanged. webgpu computes in fp32 too, but its matMul tiles and reductions sum in a
 * different order (workgroup-parallel tree sums, fused multiply-adds, `exp`/`tanh` from the
 * shader library rather than libm), so rounding differences grow with the reduction length
 * (d = 256…3072 in the cases): forward bounds ×10 (rtol 1e-3, atol 1e-4) and gradient bounds
 * rtol 1e-2, atol 1e-4, still far below any routing or formula error the cases exist to catch
 * (those show up at 1e-1 and above). Selections (top-K indices) are compared exactly everywhere.
 */
export const TOLERANCES: Record<GoldenBackend, { forward: Tolerance; gradient: Tolerance }> = {
  cpu: { forward: { rtol: 1e-4, atol: 1e-5 }, gradient: { rtol: 5e-3, atol: 2e-5 } },
  wasm: { forward: { rtol: 1e-4, atol: 1e-5 }, gradient: { rtol: 5e-3, atol: 2e-5 } },
  webgpu: { forward: { rtol: 1e-3, atol: 1e-4 }, gradient: { rtol: 1e-2, atol: 1e-4 } },
};

/** Sets the shared tolerance objects (layer and model cases) to the backend's bounds. */
export function useTolerancesFor(backend: GoldenBackend): void {
  const t = TOLERANCES[backend];
  if (t === undefined) throw new Error(`golden: unknown backend "${backend}" (cpu, wasm or webgpu)`);
  Object.assign(FORWARD, t.forward);
  Object.assign(GRADIENT, t.gradient);
  Object.assign(MODEL_FORWARD, t.forward);
  Object.assign(MODEL_GRADIENT, t.gradient);
}
