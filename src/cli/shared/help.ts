/** Usage texts, kept apart from the commands so `--help` loads nothing heavy (DuckDB, Arrow, vega). */

export const RUN_HELP = `Usage: pipeline run FILE [options]
       pipeline run --resume RUN_DIR [options]

Train the pipeline in FILE (YAML, see docs/run.md) and write runs/<run-id>/:
config.yaml, metrics-*.parquet, eval-*.parquet, routing/*.parquet, checkpoints/.

Options:
  --set KEY.PATH=VALUE   override a key (repeatable); VALUE is YAML: 3e-4, true, [a.jsonl.zst,b.jsonl.zst]
  --out DIR              runs directory (default: out.dir of the pipeline, "runs")
  --backend NAME         auto | tensorflow | webgpu | wasm | cpu (same as --set trainer.backend=NAME)
  --resume RUN_DIR       continue RUN_DIR from its last checkpoint; statistics written after
                         that checkpoint by the interrupted run are removed first
  --dry-run              validate and print the resolved pipeline; create nothing
  -h, --help             this help

Exit codes: 0 done, 1 the run failed, 2 bad command line or pipeline, 3 not available in this build,
130 interrupted (resume with --resume).`;

export const REPORT_HELP = `Usage: pipeline report RUN_DIR [--out DIR]

Read the statistics of a run (runs/<run-id>/, Parquet, via DuckDB) and write:
  loss.png           train loss per step and eval loss
  aux.png            each auxiliary loss (summed over layers) per step
  expert-load.png    share of token-slots per expert over training, one heatmap per layer
  entropy.png        router entropy per layer (top-k normalised by log K; full distribution)
  maxvio.png         load imbalance (MaxVio) per layer
  domains.png        domain × expert load per layer (second half of training)
  report.md          a text summary linking the plots
Works on a run in progress (it reads the parts flushed so far).

Options:
  --out DIR     where to write (default: RUN_DIR/report)
  -h, --help    this help`;

export const TOKENIZER_HELP = `Usage: pipeline tokenizer train --files GLOB [--files GLOB]... --out tokenizer.json [options]

Train LibMoE's tokenizer (byte-level BPE, digits split, <STORY_SEP> separator) on a sample of
documents streamed from SlimPajama-format files and save it as a HuggingFace tokenizer.json
(usable as data.tokenizer.path in a pipeline).

Options:
  --files GLOB        input files (.jsonl, .jsonl.zst, .jsonl.gz, directories, globs); repeatable
  --out FILE          where to write tokenizer.json (required)
  --vocab-size N      vocabulary size (default 8000, LibMoE's)
  --sample-docs N     documents to sample (default 2000)
  --seed N            sampling seed (default 1234)
  -h, --help          this help`;

export const EVAL_HELP = `Usage: pipeline eval RUN_DIR --tasks TASK[,TASK...] [--data DIR] [options]

Zero-shot evaluation of a run's checkpoints on LibMoE's language-model tasks, from local files
(nothing is downloaded). Writes RUN_DIR/eval/results-*.parquet (task, group, metric, value, n)
and RUN_DIR/eval/items-*.parquet (each option's score, gold, prediction), with run_id and the
checkpoint step. Re-running skips what eval/results already holds; a killed eval resumes.

Tasks: lambada, blimp, cbt, hellaswag, piqa, arc_easy, arc_challenge, openbookqa, commonsenseqa,
siqa, race, winogrande, mmlu. In DIR a task finds its file by name (piqa.jsonl, arc_easy.jsonl,
hellaswag.jsonl, lambada_openai.jsonl, blimp/ with one file per phenomenon, ...; .parquet too),
as HuggingFace dataset rows or llm-foundry ICL JSONL (detected from the fields).

Options:
  --tasks LIST          comma-separated task names (required)
  --data DIR            folder holding the task files (default: ./data/eval)
  --file TASK=PATH      a task's data file, instead of looking in --data; repeatable
  --checkpoint WHICH    last (default), all, or step-N[,step-M...]
  --limit N             only the first N items of each data file (0 = all)
  --batch-size N        options scored per forward pass (default 32)
  --backend NAME        auto, wasm, cpu, webgpu, tensorflow (default: the run's trainer.backend)
  --on-bad-row POLICY   fail (default: stop at the first bad row, naming file and line) or skip (count it)
  --routing             also write eval-time routing logs: eval/routing (item × option × MoE layer)
                        and eval/routes (per-token routes of a sample of items); one sequence per forward
  --routes-sample F     share of items whose per-token routes are kept (default 0.05; with --routing)
  -h, --help            this help

Docs: docs/eval.md (protocol, formats, tables, differences from lm-evaluation-harness).`;

export const COMPARE_HELP = `Usage: pipeline compare RUN_DIR RUN_DIR... [--out DIR]

LibMoE's paper table across runs evaluated with pipeline eval: validation PPL, each task's
accuracy × 100 (LibMoE's group average; LAMBADA total), AVG Acc, AVG Rank (PPL ascending and each
accuracy descending, ties averaged), and end-of-training routing (mean entropy, MaxVio, dead
experts). Each run's latest evaluated checkpoint is used; runs scored on different task sets,
--limit values or checkpoint steps are refused, naming the difference.

Writes compare.md (also printed), compare.csv, compare.parquet and compare.png (per-task scores
by router).

Options:
  --out DIR     where to write (default: ./compare)
  -h, --help    this help`;
