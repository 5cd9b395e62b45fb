/** Kept apart from the schema so the CLI's error reporting can test for it without loading the schema (and through it the operator registry). */
/** A pipeline that failed validation: one line per problem, each naming its key path. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[], what = 'pipeline') {
    super(`${source}: invalid ${what}\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
