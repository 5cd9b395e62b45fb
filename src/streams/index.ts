/** The sources half of the text data plane: public API (see docs/sources.md). */
export type { Flow, Json, Op, Stage, StageState, StageStats } from './stage.js';
export { pipe } from './pipe.js';
export { fromArray } from './from-array.js';
export { Rng, type RngState } from '../base/random.js';

export { slimPajama, type SlimPajamaOptions, type TextRecord, type OnError } from './slimpajama/slimpajama.js';
export { type SkipReason, UNKNOWN_DOMAIN, parseSlimPajamaLine } from './slimpajama/parse-record.js';
export { type ReadCounts, type CarriedSourceCounts } from './slimpajama/source-stats.js';
export { countsIn, addCounts, type Counts } from './carried-counts.js';
export { type ShardSpec, type Consumer, consumerOf, epochFileOrder, partitionFiles } from './slimpajama/shard.js';
export { mix, type MixInput, type MixOptions } from './mix.js';
export { repeat, type RepeatOptions } from './repeat.js';
export { interleave } from './interleave.js';

export { resolveFiles, JSONL_PATTERN } from './files/resolve-files.js';
export { LineReader, type Line } from './lines/line-reader.js';
export { openDecoded, compressionOf, type Compression, type OpenDecodedOptions, type ZstdDecoderChoice } from './decode/open-decoded.js';
export { type DecodedBytes, type DecoderKind } from './decode/decoded-bytes.js';
export { DecodeError } from './decode/decode-error.js';
export { zstdCliAvailable } from './decode/zstd-cli.js';
export { ZstdStreamDecoder, ZSTD_MAX_WINDOW } from './zstd/zstd-stream-decoder.js';

export { llava, type LlavaOptions, LLAVA_PATTERN } from './llava/llava.js';
export { type ImageTextRecord, type ImageTextProvenance, type Turn, IMAGE_TOKEN } from './llava/image-text-record.js';
export { type LlavaSkipReason, parseLlavaRecord, countImageTokens } from './llava/parse-record.js';
export { JsonArraySplitter, type ArrayElement, type SplitFailure, type SplitStart } from './llava/json-array-splitter.js';
