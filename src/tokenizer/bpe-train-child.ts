/**
 * Runs `tokenizers`' BPE trainer in a child process: `node bpe-train-child.js SAMPLE OUT DIGITS`.
 * Why a process: the Rust trainer writes progress newlines straight to file descriptor 1,
 * which would corrupt a CLI's `--json` output, and it blocks its thread for seconds.
 */
import { BPE, Tokenizer, byteLevelPreTokenizer, digitsPreTokenizer, sequencePreTokenizer } from 'tokenizers';

const [samplePath, outPath, digits] = process.argv.slice(2);
if (!samplePath || !outPath) throw new Error('usage: bpe-train-child SAMPLE OUT [digits|no-digits]');
const trainer = new Tokenizer(BPE.empty());
const byteLevel = byteLevelPreTokenizer(false, true);
trainer.setPreTokenizer(digits === 'no-digits' ? byteLevel : sequencePreTokenizer([digitsPreTokenizer(true), byteLevel]));
trainer.train([samplePath]);
trainer.save(outPath, false);
