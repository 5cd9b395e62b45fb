/** Aux-loss columns: their names depend on the router, so tables that carry them are built per run. */
import { column, type StatsColumn } from './stats-table.js';

/** Column of an aux component: `aux_<name>` (a name that already starts with `aux_` keeps it: `aux_total`). */
export function auxColumn(name: string): string {
  return name.startsWith('aux_') ? name : `aux_${name}`;
}

/**
 * One float64 column per aux name, reading `aux(src)[name]` (NaN when the step lacks it).
 * Names whose column collides with one of `fixed` are left out (metrics has its own aux_total).
 */
export function auxColumns<S>(
  auxNames: readonly string[], fixed: readonly string[], aux: (src: S) => Readonly<Record<string, number>>, doc: (name: string) => string,
): StatsColumn<S>[] {
  const names = [...new Set(auxNames.filter((n) => !fixed.includes(auxColumn(n))))];
  return names.map((n) => column<S>(auxColumn(n), 'float64', doc(n), (src) => aux(src)[n] ?? NaN));
}
