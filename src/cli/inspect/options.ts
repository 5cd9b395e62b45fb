import type { OnError } from '../../streams/index.js';

/** What `pipeline inspect` was asked to do, after its options were checked. */
export interface InspectOptions {
  readonly files: readonly string[];
  /** A tokenizer.json; with neither this nor `trainVocab`, only what needs no tokens is reported. */
  readonly tokenizer?: string;
  readonly trainVocab?: number;
  readonly saveTokenizer?: string;
  readonly seqLen: number;
  readonly onError: OnError;
  readonly workers: number;
  readonly json: boolean;
}
