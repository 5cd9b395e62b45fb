/**
 * The float dtypes HuggingFace checkpoints store (safetensors' names), decoded to the float32
 * moeflow computes in. Real CLIP / SigLIP / Phi-3 files are F32, F16 or BF16 (Phi-3 ships BF16).
 */
export const HF_FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type HfFloatDtype = (typeof HF_FLOAT_DTYPES)[number];

export function isHfFloatDtype(d: string): d is HfFloatDtype {
  return (HF_FLOAT_DTYPES as readonly string[]).includes(d);
}

export function bytesPerElement(d: HfFloatDtype): number {
  return d === 'F32' ? 4 : 2;
}

/** Little-endian raw bytes of `dtype` → float32 values (exact: every F16 and BF16 value is a float32). */
export function decodeFloats(dtype: HfFloatDtype, bytes: Uint8Array): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / bytesPerElement(dtype);
  const out = new Float32Array(n);
  if (dtype === 'F32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
  } else for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  return out;
}

/** float32 values → little-endian bytes of `dtype`, rounding to nearest even (as torch's `.to()`). */
export function encodeFloats(dtype: HfFloatDtype, values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * bytesPerElement(dtype));
  const dv = new DataView(out.buffer);
  if (dtype === 'F32') for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
  else if (dtype === 'BF16') for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, floatToBf16(values[i]!), true);
  else for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, floatToHalf(values[i]!), true);
  return out;
}

/** IEEE 754 binary16 bits → number (normals, subnormals, ±0, ±∞, NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN stays NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** number → binary16 bits, round to nearest even; overflow → ±∞, underflow → subnormals / ±0. */
function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: shift the implicit 1 in, then round to nearest even.
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}
