/**
 * moeflow as a library: the data plane (sources and operators), the event plane and the
 * statistics sinks. No TensorFlow.js is loaded from here; the models live behind
 * `moeflow/models` so a data-only user never pays for them.
 */
export * from './streams/index.js';
export { tokenize, type TokenizeOptions, type TokenizeStats } from './ops/tokenize.js';
export { pack, type PackOptions, type PackStats } from './ops/pack.js';
export { shuffle, type ShuffleOptions } from './ops/shuffle.js';
export { batch, type BatchOptions } from './ops/batch.js';
export { map, type MapOptions } from './ops/map.js';
export { prefetch } from './ops/prefetch.js';
export { skip } from './ops/skip.js';
export { take } from './ops/take.js';
export { filter } from './ops/filter.js';
export { textFlow, type TextFlowOptions } from './ops/text-flow.js';
export { statsChain, statsOf } from './ops/support/stats.js';
export { assembleFlow } from './ops/flow/assemble.js';
export { defaultFlow } from './ops/flow/default-flow.js';
export { flowOp, flowOpNames } from './ops/flow/registry.js';
export { defineFlowOp, ITEM_KINDS, type FlowOp, type FlowContext, type FlowStep, type ItemKind } from './ops/flow/flow-op.js';
export { conversation, type ConversationOptions } from './ops/conversation.js';
export { preprocessImages, type PreprocessImagesOptions, type WithImage } from './ops/preprocess-images.js';
export { padBatch, type PadBatchOptions } from './ops/pad-batch.js';
export { textSamples, type TextSamplesOptions, type TextSample } from './ops/text-samples.js';
export { ImagePool } from './ops/image/image-pool.js';
export { preprocessImage, type ImageTensor, type PreprocessOptions } from './ops/image/preprocess.js';
export { decodeImage, ImageError, type ImageSkipReason } from './ops/image/decode-image.js';
export { CLIP_336, SIGLIP_224, PROCESSORS, type ProcessorSpec } from './ops/image/processor.js';
export { type ConversationSample, IGNORE_INDEX, IMAGE_TOKEN_INDEX } from './ops/items/conversation-sample.js';
export type { ImageTextBatch, PaddableSample } from './ops/items/image-text-batch.js';
export type { TokenizedDoc } from './ops/items/tokenized-doc.js';
export type { PackedWindow } from './ops/items/packed-window.js';
export { loadTokenizer, tokenizerFromJson, vocabSize, separatorId, encodeTexts, decodeIds } from './tokenizer/tokenizer.js';
export { trainTokenizer, saveTokenizerJson, type TrainTokenizerOptions, type TrainedTokenizer } from './tokenizer/train-bpe.js';
export { trainTokenizerFromFiles, type TrainFromFilesOptions } from './tokenizer/train-from-files.js';
export { bestEncoder, tokenizersEncoder, jsBpeEncoder, type BatchEncoder } from './tokenizer/batch-encoder.js';
export type { TokenBatch, StepResult, LayerRoutingStats, EvalResult } from './models/train-types.js';
export { toObservable } from './events/to-observable.js';
export { fromObservable, BufferOverflowError, type FromObservableOptions } from './events/from-observable.js';
export { EventPlane, type EventSink } from './events/event-plane.js';
export type { StepEvent, EvalEvent, CheckpointEvent, RunEvent, StepTiming, DataCounts, SkipCount } from './events/step-event.js';
export { RunStatsSink, type RunStatsSinkOptions } from './sinks/run-stats-sink.js';
