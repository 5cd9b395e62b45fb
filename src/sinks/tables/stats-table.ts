/**
 * How a statistics table is declared: each column once, with its type, its documentation
 * and the accessor that reads its value from the table's source record. The Arrow schema,
 * the Parquet file, docs/run.md and the rows all come from that one list, so a column
 * cannot be added to the layout and forgotten in the rows (or the other way round).
 */
import type { CellValue, ColumnDef, ColumnType, Row, TableSpec } from '../table-spec.js';

/** A column and where its value comes from in a source record `S`. */
export interface StatsColumn<S> extends ColumnDef {
  readonly value: (src: S) => CellValue;
}

/** A table's layout plus the function turning one source record into one row. */
export interface StatsTable<S> {
  readonly spec: TableSpec;
  row(src: S): Row;
}

export function column<S>(name: string, type: ColumnType, doc: string, value: (src: S) => CellValue): StatsColumn<S> {
  return { name, type, doc, value };
}

export function defineTable<S>(path: string, columns: readonly StatsColumn<S>[]): StatsTable<S> {
  const seen = new Set<string>();
  for (const c of columns) {
    // Two columns with one name would make the later silently win in every reader.
    if (seen.has(c.name)) throw new Error(`${path}: column "${c.name}" declared twice`);
    seen.add(c.name);
  }
  const spec: TableSpec = { path, columns: columns.map(({ name, type, doc }) => ({ name, type, doc })) };
  return {
    spec,
    row(src: S): Row {
      const row: Record<string, CellValue> = {};
      for (const c of columns) row[c.name] = c.value(src);
      return row;
    },
  };
}
