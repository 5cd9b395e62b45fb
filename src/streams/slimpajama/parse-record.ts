import type { Line } from '../lines/line-reader.js';

/** Why a line (or the rest of a file) was not used. Stable names: they key the skip counters. */
export type SkipReason =
  | 'invalid_utf8'
  | 'invalid_json'
  | 'truncated_last_line'
  | 'not_an_object'
  | 'missing_text'
  | 'text_not_string'
  | 'line_too_long'
  | 'corrupt_stream'
  | 'unreadable_file'
  | 'empty_file';

export type ParsedLine =
  | { readonly ok: true; readonly text: string; readonly domain: string }
  | { readonly ok: false; readonly reason: SkipReason; readonly detail: string };

/** The domain of a document without `meta.redpajama_set_name` (counted under this name). */
export const UNKNOWN_DOMAIN = 'unknown';

/**
 * One SlimPajama line → `{ text, domain }`, or the reason it cannot be used.
 * UTF-8 is decoded strictly (a fatal TextDecoder: `toString('utf8')` would silently turn bad bytes
 * into U+FFFD); as fast as `isUtf8` + `toString` here (bench/read-slimpajama.ts). The decoder also
 * drops a leading byte-order mark.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseSlimPajamaLine(line: Line): ParsedLine {
  if (line.overlong) return { ok: false, reason: 'line_too_long', detail: `${line.length} bytes` };
  let json: string;
  try {
    json = utf8.decode(line.bytes);
  } catch {
    return { ok: false, reason: 'invalid_utf8', detail: 'bytes are not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    const detail = (error as Error).message;
    if (!line.terminated) return { ok: false, reason: 'truncated_last_line', detail: `last line has no newline and is not valid JSON (${detail})` };
    return { ok: false, reason: 'invalid_json', detail };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not_an_object', detail: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : String(value === null ? null : typeof value)}` };
  }
  const record = value as { text?: unknown; meta?: { redpajama_set_name?: unknown } };
  if (!('text' in record)) return { ok: false, reason: 'missing_text', detail: 'no "text" key' };
  if (typeof record.text !== 'string') return { ok: false, reason: 'text_not_string', detail: `"text" is ${record.text === null ? 'null' : typeof record.text}` };
  const meta = record.meta;
  const name = meta !== null && typeof meta === 'object' ? meta.redpajama_set_name : undefined;
  return { ok: true, text: record.text, domain: typeof name === 'string' && name.length > 0 ? name : UNKNOWN_DOMAIN };
}

/** A line that holds only whitespace: not a record and not an error (counted as `blankLines`). */
export function isBlank(line: Line): boolean {
  const b = line.bytes;
  if (line.overlong) return false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
