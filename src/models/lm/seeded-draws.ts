/**
 * The LM's seeded host-side draws (normal, truncated normal, uniform), generated on the host
 * so that initial weights are identical on every backend.
 */

/**
 * Deterministic N(mean, std²) samples from a 32-bit seed, generated on the host so that
 * initial weights are identical on every backend (tf.randomNormal's stream is an
 * implementation detail of tfjs and not part of any contract).
 */
export function seededNormal(count: number, std: number, seed: number, mean = 0): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // Box–Muller: two independent normals per pair of uniforms; u1 in (0, 1] avoids log(0).
    const u1 = 1 - next();
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * Standard normal draws truncated to [lo, hi] by redrawing outside (exact in distribution):
 * torch.nn.init.trunc_normal_ with its defaults mean 0, std 1, a −2, b 2. Its bounds are
 * absolute, not multiples of std; at std 1 they are ±2σ.
 */
export function seededTruncatedNormal(count: number, seed: number, lo = -2, hi = 2): Float32Array {
  if (!(lo < hi) || hi <= -8 || lo >= 8) throw new Error(`seededTruncatedNormal: empty or negligible interval [${lo}, ${hi}]`);
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const a = 2 * Math.PI * next();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  for (let i = 0; i < count; i++) {
    let z = normal();
    while (z < lo || z > hi) z = normal();
    out[i] = z;
  }
  return out;
}

/** Deterministic U(−bound, bound) samples from a 32-bit seed. */
export function seededUniform(count: number, bound: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * next() - 1) * bound;
  return out;
}

/** Derives an independent sub-seed for a named parameter, so adding a parameter never shifts the others. */
export function subSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
