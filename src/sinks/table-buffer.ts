import {
  Dictionary, Field, Float32, Float64, Int16, Int32, Int64, List, RecordBatch, Schema, Struct, TimestampMillisecond, Utf8,
  makeData, vectorFromArray, type Data, type DataType, type Vector,
} from 'apache-arrow';
import type { CellValue, ColumnDef, ColumnType, Row, TableSpec } from './table-spec.js';

/** Arrow type of a column type. Dictionary ids are per column index, so a schema is stable. */
export function arrowType(type: ColumnType, dictId: number): DataType {
  switch (type) {
    case 'int16': return new Int16();
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'float32': return new Float32();
    case 'float64': return new Float64();
    case 'timestamp_ms': return new TimestampMillisecond('UTC');
    case 'dict': return new Dictionary(new Utf8(), new Int32(), dictId, false);
    case 'list<int16>': return new List(new Field('item', new Int16(), false));
    case 'list<float32>': return new List(new Field('item', new Float32(), false));
  }
}

export function arrowSchema(columns: readonly ColumnDef[]): Schema {
  return new Schema(columns.map((c, i) => new Field(c.name, arrowType(c.type, i), false)));
}

/**
 * A growing table in column form. Rows are appended as plain values; `take()` turns what
 * was appended into one Arrow RecordBatch and starts over. Dictionaries only grow over the
 * buffer's life, so consecutive batches share their dictionary prefix (what an Arrow IPC
 * stream reader expects from deltas).
 */
export class TableBuffer {
  private readonly values: number[][];
  private readonly offsets: number[][];
  private readonly dicts: { index: Map<string, number>; values: string[]; vector?: Vector<Utf8> }[];
  private count = 0;
  readonly schema: Schema;

  constructor(readonly spec: TableSpec) {
    this.values = spec.columns.map(() => []);
    this.offsets = spec.columns.map(() => [0]);
    this.dicts = spec.columns.map(() => ({ index: new Map(), values: [] }));
    this.schema = arrowSchema(spec.columns);
  }

  get rows(): number { return this.count; }

  append(row: Row): void {
    const cols = this.spec.columns;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const v = row[c.name];
      if (v === undefined) throw new Error(`${this.spec.path}: row has no value for column "${c.name}"`);
      this.push(i, c, v);
    }
    this.count++;
  }

  private push(i: number, c: ColumnDef, v: CellValue): void {
    const vals = this.values[i]!;
    if (c.type === 'dict') {
      if (typeof v !== 'string') throw new Error(`${this.spec.path}.${c.name}: expected a string, got ${typeof v}`);
      const d = this.dicts[i]!;
      let k = d.index.get(v);
      if (k === undefined) { k = d.values.length; d.index.set(v, k); d.values.push(v); d.vector = undefined; }
      vals.push(k);
    } else if (c.type === 'list<int16>' || c.type === 'list<float32>') {
      if (typeof v === 'number' || typeof v === 'string') throw new Error(`${this.spec.path}.${c.name}: expected a list`);
      for (let j = 0; j < v.length; j++) vals.push(v[j]!);
      const offs = this.offsets[i]!;
      offs.push(offs[offs.length - 1]! + v.length);
    } else {
      if (typeof v !== 'number') throw new Error(`${this.spec.path}.${c.name}: expected a number, got ${JSON.stringify(v)}`);
      vals.push(v);
    }
  }

  /** The rows appended since the last take, as one RecordBatch (undefined when empty). */
  take(): RecordBatch | undefined {
    if (this.count === 0) return undefined;
    const n = this.count;
    const children = this.spec.columns.map((c, i) => this.columnData(c, i, n));
    const struct = makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children });
    const batch = new RecordBatch(this.schema, struct);
    this.values.forEach((v) => { v.length = 0; });
    this.offsets.forEach((o) => { o.length = 1; });
    this.count = 0;
    return batch;
  }

  private columnData(c: ColumnDef, i: number, n: number): Data {
    const vals = this.values[i]!;
    const type = this.schema.fields[i]!.type;
    switch (c.type) {
      case 'int16': return makeData({ type: type as Int16, length: n, nullCount: 0, data: Int16Array.from(vals) });
      case 'int32': return makeData({ type: type as Int32, length: n, nullCount: 0, data: Int32Array.from(vals) });
      // Values are integers below 2^53 (exact as JS numbers).
      case 'int64': return makeData({ type: type as Int64, length: n, nullCount: 0, data: BigInt64Array.from(vals, (v) => BigInt(v)) });
      case 'float32': return makeData({ type: type as Float32, length: n, nullCount: 0, data: Float32Array.from(vals) });
      case 'float64': return makeData({ type: type as Float64, length: n, nullCount: 0, data: Float64Array.from(vals) });
      case 'timestamp_ms': return makeData({ type: type as TimestampMillisecond, length: n, nullCount: 0, data: BigInt64Array.from(vals, (v) => BigInt(Math.round(v))) });
      case 'dict': {
        const d = this.dicts[i]!;
        d.vector ??= vectorFromArray(d.values.slice(), new Utf8());
        return makeData({ type: type as Dictionary<Utf8, Int32>, length: n, nullCount: 0, data: Int32Array.from(vals), dictionary: d.vector });
      }
      case 'list<int16>':
      case 'list<float32>': {
        const childType = c.type === 'list<int16>' ? new Int16() : new Float32();
        const data = c.type === 'list<int16>' ? Int16Array.from(vals) : Float32Array.from(vals);
        const child = makeData({ type: childType, length: vals.length, nullCount: 0, data } as never);
        return makeData({ type: type as List, length: n, nullCount: 0, valueOffsets: Int32Array.from(this.offsets[i]!), child });
      }
    }
  }
}
