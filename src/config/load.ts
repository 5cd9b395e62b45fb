import { readFile } from 'node:fs/promises';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { closest } from './closest.js';
import { formatIssues, keyPath } from './issues.js';
import { applyOverride, parseOverride, type Override } from './overrides.js';
import { prepareFlow } from './flow-schema.js';
import { pipelineSchema, type PipelineConfig } from './schema.js';

/** A pipeline that failed validation: one line per problem, each naming its key path. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source}: invalid pipeline\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ValidateOptions {
  /**
   * Router names accepted for model.moe.algorithm: the CLI passes the router registry's own
   * `moeAlgorithms()` (src/models/moe/registry.ts), so the two cannot drift apart. Without it the
   * name is checked when the model is built (createMoeLayer names the known routers).
   */
  readonly algorithms?: readonly string[];
}

/** Validate a parsed pipeline document; returns it with every default filled in. */
export function validatePipeline(doc: unknown, source: string, opts: ValidateOptions = {}): PipelineConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(source, ['(top level): expected a map of sections (data, model, trainer, stats, out)']);
  const early = prepareFlow(doc);
  const r = pipelineSchema.safeParse(doc, { reportInput: true });
  if (!r.success || early.length) throw new ConfigError(source, [...early, ...(r.success ? [] : formatIssues(r.error.issues, pipelineSchema))]);
  const algorithms = opts.algorithms;
  const alg = r.data.model.moe?.algorithm;
  if (alg !== undefined && algorithms !== undefined && !algorithms.includes(alg)) {
    const guess = closest(alg, algorithms);
    throw new ConfigError(source, [`model.moe.algorithm: unknown router "${alg}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${algorithms.join(', ')})`]);
  }
  return r.data;
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
    // Say which problems came from the command line rather than the file.
    throw new ConfigError(source, e.problems.map((p) => {
      const at = (ov: Override): string => keyPath(ov.path.map((k) => (/^\d+$/.test(String(k)) ? Number(k) : k)));
      const o = overrides.find((ov) => p.startsWith(`${at(ov)}:`) || p.startsWith(`${at(ov)}.`) || p.startsWith(`${at(ov)}[`));
      return o ? `${p} (from --set ${o.source})` : p;
    }));
  }
}
