import { readFile } from 'node:fs/promises';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { closest } from '../base/closest.js';
import { formatIssues, keyPath } from './issues.js';
import { applyOverride, parseOverride, type Override } from './overrides.js';
import { prepareFlow } from './flow-schema.js';
import { ConfigError } from './config-error.js';
import { pipelineSchema, type PipelineConfig } from './schema.js';

export { ConfigError } from './config-error.js';

export interface ValidateOptions {
  /**
   * Router names accepted for model.moe.algorithm: the CLI passes the router registry's own
   * (`routerCatalog()`, src/models/moe/registry.ts), so the two cannot drift apart. Without it the
   * name is checked when the model is built (createMoeLayer names the known routers).
   */
  readonly algorithms?: readonly string[];
  /**
   * The option names each router declares (the registry's `routerCatalog()`), so a key of
   * model.moe.options that the router does not read fails here, at load and `--dry-run`, not
   * silently at run time. Without it the options are checked when the layer is built.
   */
  readonly routerOptions?: Readonly<Record<string, readonly string[]>>;
  /** Problems with the values of model.moe.options as the router would read them (the registry's `routerOptionProblems`). */
  readonly routerOptionValues?: (algorithm: string, options: Readonly<Record<string, unknown>>) => string[];
  /** The evaluation task names (src/eval/tasks/registry.ts `evalTaskNames()`), checked in eval.tasks. */
  readonly evalTasks?: readonly string[];
}

/** Validate a parsed pipeline document; returns it with every default filled in. */
export function validatePipeline(doc: unknown, source: string, opts: ValidateOptions = {}): PipelineConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(source, ['(top level): expected a map of sections (data, model, trainer, stats, out, eval)']);
  const early = prepareFlow(doc);
  const r = pipelineSchema.safeParse(doc, { reportInput: true });
  if (!r.success || early.length) throw new ConfigError(source, [...early, ...(r.success ? [] : formatIssues(r.error.issues, pipelineSchema))]);
  const algorithms = opts.algorithms;
  const alg = r.data.model.moe?.algorithm;
  if (alg !== undefined && algorithms !== undefined && !algorithms.includes(alg)) {
    const guess = closest(alg, algorithms);
    throw new ConfigError(source, [`model.moe.algorithm: unknown router "${alg}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${algorithms.join(', ')})`]);
  }
  const declared = alg !== undefined ? opts.routerOptions?.[alg] : undefined;
  if (declared !== undefined) {
    const problems = Object.keys(r.data.model.moe?.options ?? {}).filter((k) => !declared.includes(k)).map((k) => unknownRouterOption(alg!, k, declared));
    if (problems.length > 0) throw new ConfigError(source, problems);
  }
  if (alg !== undefined && opts.routerOptionValues) {
    const problems = opts.routerOptionValues(alg, r.data.model.moe?.options ?? {}).map((p) => `model.moe.options: ${p}`);
    if (problems.length > 0) throw new ConfigError(source, problems);
  }
  const known = opts.evalTasks;
  if (known !== undefined && r.data.eval) {
    const problems = r.data.eval.tasks.flatMap((t, i) => {
      if (known.includes(t)) return [];
      const guess = closest(t, known);
      return [`eval.tasks[${i}]: unknown task "${t}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${known.join(', ')})`];
    });
    if (problems.length > 0) throw new ConfigError(source, problems);
  }
  return r.data;
}

function unknownRouterOption(router: string, key: string, declared: readonly string[]): string {
  const guess = closest(key, declared);
  const known = declared.length > 0 ? `its options: ${[...declared].sort().join(', ')}` : 'it takes no options';
  return `model.moe.options.${key}: unknown option for router "${router}"${guess ? `; did you mean "${guess}"?` : ''} (${known})`;
}

function isRunRecord(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' && 'versions' in (v as object);
}

export interface LoadedPipeline {
  readonly config: PipelineConfig;
  readonly file: string;
  readonly overrides: readonly Override[];
}

/** Read a pipeline YAML file, apply `--set` overrides, validate. Errors name file, line and key path. */
export async function loadPipeline(file: string, sets: readonly string[] = [], opts: ValidateOptions = {}): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the pipeline file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parsePipeline(text, file, sets, opts);
}

export function parsePipeline(text: string, source: string, sets: readonly string[] = [], opts: ValidateOptions = {}): LoadedPipeline {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      throw new ConfigError(source, [`${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`]);
    }
    throw e;
  }
  const overrides = sets.map(parseOverride);
  const tree = (doc ?? {}) as Record<string, unknown>;
  // A run's config.yaml is a pipeline plus the run's own record: re-running it starts a new run.
  if (tree && typeof tree === 'object' && isRunRecord(tree.run)) delete tree.run;
  for (const o of overrides) applyOverride(tree, o);
  try {
    return { config: validatePipeline(tree, source, opts), file: source, overrides };
  } catch (e) {
    if (!(e instanceof ConfigError) || overrides.length === 0) throw e;
    throw new ConfigError(source, e.problems.map((p) => attributeOverrides(p, overrides)));
  }
}

/**
 * Say which problems came from the command line rather than the file: a problem about an
 * overridden key ends "(from --set KEY=VALUE)"; a rule between keys (a sentence naming them,
 * e.g. warmupSteps against steps) ends ", set by --set ..." for every overridden key it names.
 */
function attributeOverrides(problem: string, overrides: readonly Override[]): string {
  const key = (o: Override): string => keyPath(o.path.map((k) => (/^\d+$/.test(String(k)) ? Number(k) : k)));
  const own = overrides.find((o) => problem.startsWith(`${key(o)}:`) || problem.startsWith(`${key(o)}.`) || problem.startsWith(`${key(o)}[`));
  if (own) return `${problem} (from --set ${own.source})`;
  const named = overrides.filter((o) => new RegExp(`(^|[^\\w.])${key(o).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.])`).test(problem));
  return named.length ? `${problem}, set by ${named.map((o) => `--set ${o.source}`).join(' and ')}` : problem;
}
