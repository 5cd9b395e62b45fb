/**
 * The model side of VLM evaluation (src/eval/vlm's `VlmAnswerer`), kept out of src/eval so the
 * tasks never see TensorFlow.js: each prompt's image is decoded and processed by the image
 * operator (LLaVA's pad to a square, then the tower's CLIP/SigLIP processor), the user turn goes
 * into the phi35 template up to `<|assistant|>\n`, the text around `<image>` is tokenised with
 * the run's tokenizer (the image one `IMAGE_TOKEN_INDEX`), and the model generates greedily
 * until `<|end|>` / EOS or the task's `max_new_tokens`, the prompts of one call as one
 * right-padded batch.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VlmPrompt } from '../../eval/vlm/items.js';
import type { VlmAnswerer } from '../../eval/vlm/score-vlm-task.js';
import { greedyGenerateBatch, type GenerateRequest } from '../../models/vlm/model/vlm-generate.js';
import type { VisionLanguageModel } from '../../models/vlm/model/vision-language-model.js';
import { IMAGE_TOKEN_INDEX } from '../../models/vlm/splice/constants.js';
import { preprocessImage } from '../../ops/image/preprocess.js';
import { CLIP_336, SIGLIP_224, type ProcessorSpec } from '../../ops/image/processor.js';
import { PHI35_SEP, PHI35_SYSTEM } from '../../ops/support/phi35-template.js';
import { IMAGE_TOKEN } from '../../streams/llava/image-text-record.js';
import type { VlmGenerationInfo } from '../../sinks/tables/eval-vlm.js';
import { decodeIds, encodeTexts, type Tokenizer } from '../../tokenizer/tokenizer.js';

/** Tokens that end an answer, where the vocabulary has them. */
export const STOP_TOKENS = ['<|end|>', '<|endoftext|>', '</s>', '<eos>'] as const;

/** The processor of the model's tower: CLIP's or SigLIP's, at the tower's image size. */
export function processorFor(model: VisionLanguageModel): ProcessorSpec {
  const t = model.config.tower;
  const base = t.arch === 'siglip' ? SIGLIP_224 : CLIP_336;
  return { ...base, size: t.imageSize, crop: t.imageSize };
}

/** LibMoE's phi35 prompt for one user turn, ready for the answer: `<|system|>…<|user|>\n{text}<|end|>\n<|assistant|>\n`. */
export function phi35GenerationPrompt(text: string, system = PHI35_SYSTEM): string {
  return `<|system|>\n${system}${PHI35_SEP}<|user|>\n${text}${PHI35_SEP}<|assistant|>\n`;
}

export interface ModelAnswererOptions {
  readonly processor?: ProcessorSpec;
  /** Collect the tower's and projector's routing per item (read back with `info`). */
  readonly routing?: boolean;
  /** Cap on each prompt's maxNewTokens (a quick look; the protocol's limit is the task's). */
  readonly maxNewTokens?: number;
}

export class ModelVlmAnswerer implements VlmAnswerer {
  /** Per item id: tokens generated, why it stopped, routing (with `routing`). */
  readonly info = new Map<string, VlmGenerationInfo>();
  private readonly stopIds: number[];
  private readonly processor: ProcessorSpec;

  constructor(private readonly model: VisionLanguageModel, private readonly tokenizer: Tokenizer, private readonly opts: ModelAnswererOptions = {}) {
    this.stopIds = STOP_TOKENS.map((t) => tokenizer.tokenToId(t)).filter((x): x is number => x !== null && x !== undefined);
    if (!this.stopIds.includes(tokenizer.tokenToId('<|end|>') ?? -1)) {
      throw new Error('VLM eval: the run\'s tokenizer has no <|end|> token (the phi35 template needs it)');
    }
    this.processor = opts.processor ?? processorFor(model);
  }

  /** Prompt ids: the template's text around `<image>` tokenised, the image one IMAGE_TOKEN_INDEX. */
  async promptIds(text: string): Promise<Int32Array> {
    const chunks = phi35GenerationPrompt(text).split(IMAGE_TOKEN);
    const encoded = await encodeTexts(this.tokenizer, chunks);
    const ids: number[] = [];
    encoded.forEach((e, i) => {
      if (i > 0) ids.push(IMAGE_TOKEN_INDEX);
      ids.push(...e);
    });
    return Int32Array.from(ids);
  }

  private async pixels(p: VlmPrompt): Promise<Float32Array> {
    if (p.image.kind === 'file') return (await preprocessImage(p.image.path, this.processor)).data;
    const dir = await mkdtemp(join(tmpdir(), 'moeflow-vlm-'));
    try {
      const file = join(dir, 'image');
      await writeFile(file, p.image.bytes);
      return (await preprocessImage(file, this.processor)).data;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Answers the prompts as one right-padded batch (answers equal those of one prompt at a time). */
  async answer(prompts: readonly VlmPrompt[]): Promise<string[]> {
    const reqs: GenerateRequest[] = [];
    for (const p of prompts) {
      const ids = await this.promptIds(p.text);
      const maxNewTokens = Math.min(p.maxNewTokens, this.opts.maxNewTokens ?? Infinity);
      reqs.push({ ids, maxNewTokens, ...(ids.includes(IMAGE_TOKEN_INDEX) ? { pixels: await this.pixels(p) } : {}) });
    }
    const gens = await greedyGenerateBatch(this.model, reqs, { stopIds: this.stopIds, ...(this.opts.routing ? { routing: true } : {}) });
    const out: string[] = [];
    for (const [i, g] of gens.entries()) {
      this.info.set(prompts[i]!.id, { newTokens: g.tokens.length, finish: g.finish, routing: g.routing });
      out.push(await decodeIds(this.tokenizer, g.tokens));
    }
    return out;
  }
}
