import { DataType, type Table } from 'apache-arrow';
import type { ColumnDef, ColumnType, Row } from './table-spec.js';

/** The column layout of a table read back from a part (its aux columns may differ from today's spec). */
export function columnsOf(table: Table): ColumnDef[] {
  return table.schema.fields.map((f) => ({ name: f.name, type: columnType(f.type, f.name), doc: '' }));
}

function columnType(t: DataType, name: string): ColumnType {
  if (DataType.isDictionary(t)) return 'dict';
  if (DataType.isTimestamp(t)) return 'timestamp_ms';
  if (DataType.isInt(t) && t.bitWidth === 16) return 'int16';
  if (DataType.isInt(t) && t.bitWidth === 32) return 'int32';
  if (DataType.isInt(t) && t.bitWidth === 64) return 'int64';
  if (DataType.isFloat(t)) return t.precision === 1 ? 'float32' : 'float64';
  if (DataType.isList(t)) {
    const child = t.children[0]!.type;
    if (DataType.isInt(child) && child.bitWidth === 16) return 'list<int16>';
    if (DataType.isFloat(child)) return 'list<float32>';
  }
  throw new Error(`column "${name}": type ${String(t)} is not one moeflow writes`);
}

/** Rows of `table` whose `step` satisfies `keep`, as plain values (for rewriting a part). */
export function* rowsWhere(table: Table, keep: (step: number) => boolean): Generator<Row> {
  const cols = columnsOf(table);
  const vectors = cols.map((c) => table.getChild(c.name)!);
  const step = table.getChild('step');
  if (!step) throw new Error('table has no "step" column');
  for (let i = 0; i < table.numRows; i++) {
    if (!keep(Number(step.get(i)))) continue;
    const row: Record<string, Row[string]> = {};
    cols.forEach((c, j) => {
      const v = vectors[j]!.get(i);
      row[c.name] = c.type.startsWith('list') ? Array.from(v.toArray() as ArrayLike<number>) : c.type === 'dict' ? String(v) : Number(v);
    });
    yield row;
  }
}
