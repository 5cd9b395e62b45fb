/** Results by group in order of first appearance, then every result pooled under "all". */
import type { VlmItemResult } from '../results.js';

export function groupsThenAll(results: readonly VlmItemResult[]): [string, VlmItemResult[]][] {
  const m = new Map<string, VlmItemResult[]>();
  for (const r of results) {
    const g = m.get(r.group);
    if (g) g.push(r);
    else m.set(r.group, [r]);
  }
  return [...m, ['all', [...results]]];
}

export function fraction(rs: readonly VlmItemResult[], ok: (r: VlmItemResult) => boolean): number {
  return rs.length === 0 ? NaN : rs.filter(ok).length / rs.length;
}
