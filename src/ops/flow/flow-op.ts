/**
 * A data operator as a pipeline file names it (`data.flow: [{op: pack, seqLen: 1024}, …]`):
 * its name, the options it accepts (a zod object, so errors name the key), what items it takes
 * and gives, and how to build the streaming `Op` from its options and the run's context.
 * Adding an operator = one file exporting a `FlowOp` + one line in ./registry.ts.
 */
import type { z } from 'zod';
import type { Op } from '../../streams/stage.js';
import type { BatchEncoder } from '../../tokenizer/batch-encoder.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';

/** What flows between operators; an operator's `input` must be its predecessor's `output`. */
export const ITEM_KINDS = {
  document: 'documents (text records with domain and provenance)',
  tokens: 'tokenized documents',
  window: 'packed windows',
  batch: 'token batches',
  record: 'image-text records (LLaVA conversations with provenance)',
  sample: 'training samples (token ids with labels; image samples get their pixels from {op: image})',
  sampleBatch: 'padded sample batches (ids, labels, attention mask, stacked pixels)',
} as const;
export type ItemKind = keyof typeof ITEM_KINDS;

/** What the run provides to operators (values the pipeline states elsewhere, and built objects). */
export interface FlowContext {
  readonly encoder: BatchEncoder;
  /** The tokenizer's document separator id (pack). */
  readonly separatorId: number;
  /** data.seqLen (a `pack` with its own seqLen must agree: the model and evaluation use it). */
  readonly seqLen: number;
  /** data.batchSize: windows per micro-batch. */
  readonly batchSize: number;
  /** trainer.accumulate: micro-batches per optimiser step (a batch holds batchSize × accumulate windows). */
  readonly accumulate: number;
  /** data.seed: default seed of seeded operators. */
  readonly seed: number;
  /** Building the evaluation flow (held-out batches): operators may opt out (shuffle). */
  readonly evaluation: boolean;
  /**
   * The run's tokenizer itself (data.tokenizer), for operators that need more than ids
   * (`conversation` reads special-token masks). Absent where no such operator runs.
   */
  readonly tokenizer?: Tokenizer;
  /** data.onError: the default policy of operators that can meet bad items (`conversation`, `image`). */
  readonly onError?: 'fail' | 'skip';
}

export interface FlowOp<O extends object = object> {
  readonly name: string;
  /** One line for docs and errors. */
  readonly summary: string;
  readonly input: ItemKind;
  readonly output: ItemKind;
  /** The options after `op:`; a strict object, so unknown options are errors. */
  readonly options: z.ZodType<O, object>;
  /** The streaming operator; `undefined` = pass items through unchanged (e.g. shuffle when evaluating). */
  build(options: O, ctx: FlowContext): Op<never, unknown> | undefined;
}

/** Typed helper: infers the options type from the schema. */
export function defineFlowOp<S extends z.ZodType<object, object>>(op: Omit<FlowOp<z.output<S>>, 'options'> & { readonly options: S }): FlowOp<z.output<S>> {
  return op as unknown as FlowOp<z.output<S>>;
}

/** One entry of `data.flow` after validation: the op's name and its options (defaults filled in). */
export type FlowStep = { readonly op: string } & { readonly [option: string]: unknown };
