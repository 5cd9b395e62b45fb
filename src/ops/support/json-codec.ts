import { Buffer } from 'node:buffer';
import type { Json } from '../../streams/stage.js';

/** Turns buffered items into JSON for a state and back (e.g. the contents of a shuffle buffer). */
export interface JsonCodec<T> {
  encode(item: T): Json;
  decode(json: Json): T;
}

const TYPED = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array,
} as const;
type TypedName = keyof typeof TYPED;
type Typed = InstanceType<(typeof TYPED)[TypedName]>;

/** Marker key of an encoded typed array. A plain object must not use it as a key. */
const TAG = '$typed';

/**
 * The default codec: plain JSON values, plus typed arrays anywhere inside (packed windows,
 * token ids) as `{ "$typed": "Int32Array", "base64": ... }`, little-endian bytes. Rejects
 * what JSON cannot hold exactly (functions, Map, class instances, non-finite numbers).
 */
export function typedJsonCodec<T>(): JsonCodec<T> {
  return { encode: (item) => encodeValue(item, '$'), decode: (json) => decodeValue(json) as T };
}

function encodeValue(value: unknown, path: string): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`json codec: ${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`json codec: ${path} is a ${name}, not supported`);
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { [TAG]: name, base64: bytes.toString('base64') };
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`json codec: ${path} is a ${(value as object).constructor?.name ?? 'class instance'}; give the op a codec for it`);
    }
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === TAG) throw new Error(`json codec: ${path} uses the reserved key ${TAG}`);
      if (v !== undefined) out[key] = encodeValue(v, `${path}.${key}`);
    }
    return out;
  }
  throw new Error(`json codec: ${path} is a ${typeof value}, which JSON cannot hold`);
}

function decodeValue(json: Json): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(decodeValue);
  const tag = json[TAG];
  if (typeof tag === 'string' && tag in TYPED) {
    const bytes = Buffer.from(json['base64'] as string, 'base64');
    const Ctor = TYPED[tag as TypedName];
    // Copy into a fresh, aligned buffer (Buffer.from may return a slice of a shared pool).
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Ctor(copy.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT) as Typed;
  }
  const out: { [key: string]: unknown } = {};
  for (const [key, v] of Object.entries(json)) out[key] = decodeValue(v);
  return out;
}
