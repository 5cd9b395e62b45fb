import { statSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_TOKEN, type ImageTextRecord, type Turn } from './image-text-record.js';
import type { RawRecord } from './record-reader.js';

/** Why a LLaVA record (or the rest of a file) was not used. Stable names: they key the skip counters. */
export type LlavaSkipReason =
  // the bytes
  | 'invalid_utf8'
  | 'invalid_json'
  | 'truncated_record'
  | 'record_too_long'
  | 'not_an_object'
  // the file
  | 'not_an_array'
  | 'truncated_array'
  | 'corrupt_stream'
  | 'unreadable_file'
  | 'empty_file'
  // the conversation
  | 'missing_conversations'
  | 'empty_conversations'
  | 'bad_turn'
  | 'roles_out_of_order'
  // the image
  | 'image_list'
  | 'image_not_string'
  | 'image_without_token'
  | 'multiple_image_tokens'
  | 'image_token_without_image'
  | 'missing_image'
  | 'empty_image';

export type ParsedRecord =
  | { readonly ok: true; readonly record: ImageTextRecord }
  | { readonly ok: false; readonly reason: LlavaSkipReason; readonly detail: string; readonly id?: string };

export interface ParseContext {
  readonly file: string;
  /** Folder the records' `image` paths are relative to. */
  readonly imageRoot: string;
  /** Check that each image file exists and is not empty (a `stat`; decoding is the image operator's job). */
  readonly checkImages: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Counts `<image>` markers in a string. */
export function countImageTokens(text: string): number {
  let count = 0;
  for (let at = text.indexOf(IMAGE_TOKEN); at >= 0; at = text.indexOf(IMAGE_TOKEN, at + IMAGE_TOKEN.length)) count++;
  return count;
}

/** One raw LLaVA record → a validated `ImageTextRecord`, or the reason it cannot be used. */
export function parseLlavaRecord(raw: RawRecord, context: ParseContext): ParsedRecord {
  if (raw.overlong) return { ok: false, reason: 'record_too_long', detail: 'the record is longer than maxRecordBytes' };
  let text: string;
  try {
    text = utf8.decode(raw.bytes);
  } catch {
    return { ok: false, reason: 'invalid_utf8', detail: 'bytes are not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message;
    if (!raw.terminated) return { ok: false, reason: 'truncated_record', detail: `last line has no newline and is not valid JSON (${detail})` };
    return { ok: false, reason: 'invalid_json', detail };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not_an_object', detail: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
  }
  const record = value as { id?: unknown; image?: unknown; conversations?: unknown };
  const id = typeof record.id === 'string' ? record.id : typeof record.id === 'number' ? String(record.id) : undefined;
  const bad = (reason: LlavaSkipReason, detail: string): ParsedRecord => ({ ok: false, reason, detail, ...(id !== undefined ? { id } : {}) });

  const conversations = record.conversations;
  if (!Array.isArray(conversations)) return bad('missing_conversations', `"conversations" is ${conversations === undefined ? 'absent' : 'not an array'}`);
  if (conversations.length === 0) return bad('empty_conversations', '"conversations" is an empty list');
  const turns: Turn[] = [];
  for (let t = 0; t < conversations.length; t++) {
    const turn = conversations[t] as { from?: unknown; value?: unknown } | null;
    if (turn === null || typeof turn !== 'object' || typeof turn.from !== 'string' || typeof turn.value !== 'string') {
      return bad('bad_turn', `turn ${t} is not {from: string, value: string}`);
    }
    // LLaVA's roles alternate human, gpt, human, gpt …: the template and the label mask rely on it.
    const expected = t % 2 === 0 ? 'human' : 'gpt';
    if (turn.from !== expected) return bad('roles_out_of_order', `turn ${t} is from "${turn.from}", expected "${expected}"`);
    turns.push({ from: expected, value: turn.value });
  }
  if (turns.length % 2 !== 0) return bad('roles_out_of_order', `the last turn (${turns.length - 1}) is from "human" and has no answer`);

  const tokens = turns.reduce((sum, turn) => sum + countImageTokens(turn.value), 0);
  const provenance = { file: context.file, record: raw.index, ...(id !== undefined ? { id } : {}) };
  if (!('image' in record) || record.image === undefined || record.image === null) {
    if (tokens > 0) return bad('image_token_without_image', `the conversation has ${tokens} ${IMAGE_TOKEN} but the record has no image`);
    return { ok: true, record: { modality: 'text', conversations: turns, provenance } };
  }
  if (Array.isArray(record.image)) return bad('image_list', `"image" is a list of ${record.image.length} paths; one path is expected`);
  if (typeof record.image !== 'string' || record.image.length === 0) return bad('image_not_string', `"image" is ${typeof record.image === 'string' ? 'an empty string' : typeof record.image}`);
  if (tokens === 0) return bad('image_without_token', `the record has an image but no ${IMAGE_TOKEN} in its conversation`);
  if (tokens > 1) return bad('multiple_image_tokens', `the conversation has ${tokens} ${IMAGE_TOKEN} markers; one image takes exactly one`);
  const image = join(context.imageRoot, record.image);
  if (context.checkImages) {
    const stat = statSync(image, { throwIfNoEntry: false });
    if (!stat?.isFile()) return bad('missing_image', `image file not found: ${image}`);
    if (stat.size === 0) return bad('empty_image', `image file is empty (0 bytes): ${image}`);
  }
  return { ok: true, record: { modality: 'image', image, conversations: turns, provenance } };
}
