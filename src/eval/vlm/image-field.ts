/**
 * The `image` field of a VLM row, in the shapes lmms-eval's datasets come in:
 * - a string: a path, resolved against the image folder (JSONL exports, LLaVA-style rows);
 * - an HF `Image` struct `{bytes, path}` (Parquet as the Hub stores it; DuckDB hands bytes over
 *   as a Buffer, JSONL may carry them base64): the bytes when present, else the path;
 * - null or absent: no image (ScienceQA's text-only questions), reported as `undefined`.
 */
import { isAbsolute, resolve } from 'node:path';
import { RowError, type JsonRow } from '../task.js';
import type { VlmImage } from './items.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function fromPath(path: string, imageDir: string, key: string): VlmImage {
  if (path.trim() === '') throw new RowError(`field "${key}" is an empty path`);
  return { kind: 'file', path: isAbsolute(path) ? path : resolve(imageDir, path) };
}

function bytesOf(v: unknown, key: string): Uint8Array | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return v.length > 0 ? v : undefined;
  if (typeof v === 'string') {
    const s = v.replace(/\s+/g, '');
    if (s === '') return undefined;
    if (!BASE64.test(s) || s.length % 4 !== 0) throw new RowError(`field "${key}.bytes" must be base64 (JSONL) or binary (Parquet)`);
    return new Uint8Array(Buffer.from(s, 'base64'));
  }
  throw new RowError(`field "${key}.bytes" must be base64 (JSONL) or binary (Parquet), got ${typeof v}`);
}

/** The row's image, or undefined when the row has none; throws RowError for any other shape. */
export function imageField(row: JsonRow, imageDir: string, key = 'image'): VlmImage | undefined {
  const v = row[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return fromPath(v, imageDir, key);
  if (typeof v === 'object' && !Array.isArray(v)) {
    const s = v as JsonRow;
    const bytes = bytesOf(s['bytes'], key);
    const path = s['path'];
    if (bytes) return typeof path === 'string' && path !== '' ? { kind: 'bytes', bytes, name: path } : { kind: 'bytes', bytes };
    if (typeof path === 'string') return fromPath(path, imageDir, `${key}.path`);
    if (path === null || path === undefined) return undefined;
  }
  throw new RowError(`field "${key}" must be a path or an image struct {bytes, path}, got ${JSON.stringify(v)?.slice(0, 60) ?? String(v)}`);
}
