/** Typed reads of row fields; each failure is a RowError naming the field and what it held. */
import { RowError, type JsonRow } from '../task.js';

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function str(row: JsonRow, key: string): string {
  const v = row[key];
  if (typeof v !== 'string') throw new RowError(v === undefined ? `missing field "${key}"` : `field "${key}" must be a string, got ${show(v)}`);
  return v;
}

export function strList(row: JsonRow, key: string, path = key): string[] {
  const v = row[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
    throw new RowError(v === undefined ? `missing field "${path}"` : `field "${path}" must be a non-empty list of strings, got ${show(v)}`);
  }
  return v as string[];
}

export function obj(row: JsonRow, key: string): JsonRow {
  const v = row[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RowError(v === undefined ? `missing field "${key}"` : `field "${key}" must be an object, got ${show(v)}`);
  return v as JsonRow;
}

/** An integer field; HF rows carry some labels as strings ("1"), which are accepted when they are integers. */
export function int(row: JsonRow, key: string): number {
  const v = row[key];
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new RowError(v === undefined ? `missing field "${key}"` : `field "${key}" must be an integer, got ${show(v)}`);
  return n;
}

/** A gold index that must point at one of `n` options. */
export function goldIndex(value: number, n: number, key: string): number {
  if (value < 0 || value >= n) throw new RowError(`field "${key}" = ${value} is not an option index (0..${n - 1})`);
  return value;
}
