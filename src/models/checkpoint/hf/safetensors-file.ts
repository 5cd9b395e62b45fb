/**
 * A safetensors file read the way a multi-gigabyte checkpoint needs: the JSON header first,
 * then each tensor's byte range on demand (a 5 GB Phi-3 shard is never read whole), and a raw
 * writer for any dtype (tests write F16 / BF16 / I64 files exactly as torch does).
 * Layout: u64 LE header length N | N bytes JSON header | data; offsets are relative to the data.
 */
import { open, writeFile, rename } from 'node:fs/promises';

/** One header entry: dtype as the file names it (F32, BF16, I64, …), shape, absolute byte range. */
export interface SafetensorsEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute offsets in the file, [begin, end). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly path: string;
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Reads and checks the header; errors name the file (and the tensor). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size < 8) throw new Error(`${path}: not a safetensors file (${size} bytes)`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const n = Number(lenBuf.readBigUInt64LE(0));
    if (8 + n > size) throw new Error(`${path}: header length ${n} exceeds the file size ${size}`);
    const headerBuf = Buffer.alloc(n);
    await fh.read(headerBuf, 0, n, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${path}: the safetensors header is not JSON (${(e as Error).message})`);
    }
    const dataStart = 8 + n;
    const entries = new Map<string, SafetensorsEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = raw as Record<string, string>;
        continue;
      }
      const h = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const offsets = h.data_offsets as [number, number] | undefined;
      if (typeof h.dtype !== 'string' || !Array.isArray(h.shape) || !Array.isArray(offsets) || offsets.length !== 2) {
        throw new Error(`${path}: tensor '${name}' has a malformed header entry`);
      }
      const [b, e] = offsets;
      if (!(b >= 0 && e >= b && dataStart + e <= size)) throw new Error(`${path}: tensor '${name}' data_offsets [${b}, ${e}] lie outside the file`);
      entries.set(name, { dtype: h.dtype, shape: h.shape as number[], begin: dataStart + b, end: dataStart + e });
    }
    return { path, entries, metadata };
  } finally {
    await fh.close();
  }
}

/** The raw bytes of one tensor. */
export async function readEntryBytes(path: string, e: SafetensorsEntry): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(e.end - e.begin);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, e.begin + got);
      if (bytesRead === 0) throw new Error(`${path}: unexpected end of file in a tensor at byte ${e.begin + got}`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** A tensor to write: dtype name, shape and its little-endian bytes. */
export interface RawTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** Encodes tensors in the given order, header padded to 8 bytes as the reference writer does. */
export function encodeRawSafetensors(tensors: ReadonlyMap<string, RawTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let o = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.bytes, o);
    o += t.bytes.byteLength;
  }
  return out;
}

export async function writeRawSafetensors(path: string, tensors: ReadonlyMap<string, RawTensor>, metadata?: Record<string, string>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, encodeRawSafetensors(tensors, metadata));
  await rename(tmp, path);
}
