import type { ItemSource } from '../items.js';
import type { JsonRow } from '../task.js';
import { fileStem } from './prompts.js';

/** The row's own id field when it has a usable one, else `<file stem>:<record>` (stable while the file is). */
export function itemId(row: JsonRow, source: ItemSource, ...keys: string[]): string {
  for (const k of keys) {
    const v = row[k];
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return `${fileStem(source.file)}:${source.record}`;
}
