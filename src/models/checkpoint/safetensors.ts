/**
 * The safetensors file format (https://github.com/huggingface/safetensors), written by hand:
 *   8-byte little-endian u64 N | N bytes of JSON header | raw little-endian tensor data.
 * Header: { "<name>": { "dtype": "F32"|"I32", "shape": [...], "data_offsets": [begin, end] }, "__metadata__"?: {str: str} }
 * with offsets relative to the start of the data section. Readable by Python's safetensors.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';

export type SafeDtype = 'F32' | 'I32';
export interface SafeTensor {
  readonly dtype: SafeDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw new Error(`safetensors: "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    if ((t.dtype === 'F32') !== t.data instanceof Float32Array) throw new Error(`safetensors: "${name}" dtype ${t.dtype} does not match its array`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let o = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(littleEndianBytes(t.data), o);
    o += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${source}: file too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${source}: header length ${n} exceeds file size ${bytes.length}`);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const dataStart = 8 + n;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = h as unknown as Record<string, string>;
      continue;
    }
    const [b, e] = h.data_offsets;
    if (!(b >= 0 && e >= b && dataStart + e <= bytes.length)) throw new Error(`${source}: "${name}" data_offsets [${b}, ${e}] out of range`);
    const count = h.shape.reduce((x, y) => x * y, 1);
    if (e - b !== count * 4) throw new Error(`${source}: "${name}" has ${e - b} bytes for ${h.dtype}[${h.shape}]`);
    const raw = bytes.slice(dataStart + b, dataStart + e);
    const dv = new DataView(raw.buffer);
    if (h.dtype === 'F32') {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * 4, true);
      tensors.set(name, { dtype: 'F32', shape: h.shape, data });
    } else if (h.dtype === 'I32') {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt32(i * 4, true);
      tensors.set(name, { dtype: 'I32', shape: h.shape, data });
    } else throw new Error(`${source}: "${name}" has unsupported dtype ${h.dtype} (F32 and I32 are supported)`);
  }
  return { tensors, metadata };
}

export async function writeSafetensors(path: string, tensors: ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Promise<void> {
  // Write then rename: a crash never leaves a half-written checkpoint under the final name.
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeSafetensors(tensors, metadata));
  await rename(tmp, path);
}

export async function readSafetensors(path: string): Promise<{ tensors: Map<string, SafeTensor>; metadata: Record<string, string> }> {
  return decodeSafetensors(new Uint8Array(await readFile(path)), path);
}

function littleEndianBytes(a: Float32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i]!, true);
  else for (let i = 0; i < a.length; i++) dv.setInt32(i * 4, a[i]!, true);
  return out;
}
