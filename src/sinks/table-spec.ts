/**
 * Column layouts of the statistics tables. One spec drives the Arrow schema, the Parquet
 * file, the resume rewrite and the documentation, so they cannot disagree.
 */
export type ColumnType =
  | 'int16' | 'int32' | 'int64' | 'float32' | 'float64'
  /** Wall-clock instant, ms since the Unix epoch (timestamp[ms, UTC]). */
  | 'timestamp_ms'
  /** Dictionary-encoded string (dictionary<int32, utf8>): run ids, domain names. */
  | 'dict'
  | 'list<int16>' | 'list<float32>';

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** One line for docs/run.md and `DESCRIBE`-style help. */
  readonly doc: string;
}

export interface TableSpec {
  /** Path of the parts relative to the run dir, without part number: 'routing/experts'. */
  readonly path: string;
  readonly columns: readonly ColumnDef[];
}

/** A value a row may hold for a column of the given type. */
export type CellValue = number | string | ArrayLike<number>;
export type Row = Readonly<Record<string, CellValue>>;
