import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';

/**
 * One Arrow RecordBatch → one Parquet file with a single row group, ZSTD-compressed,
 * dictionary encoding on (parquet-wasm's default), and the Arrow schema embedded so
 * pyarrow reads run ids back as dictionaries.
 */
export function encodeParquet(batch: RecordBatch, createdBy = 'moeflow'): Uint8Array {
  const ipc = tableToIPC(new Table([batch]), 'stream');
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(Math.max(1, batch.numRows))
    .setCreatedBy(createdBy)
    .build();
  const wasmTable = WasmTable.fromIPCStream(ipc);
  return writeParquet(wasmTable, props);
}
