/** A loss, activation or gradient became NaN/±Inf; names the step and where it was first seen. */
export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    /** What was non-finite: 'loss', 'aux:<layer>:<name>', 'activation:<block>', 'grad:<parameter>'. */
    readonly where: readonly string[],
  ) {
    super(`non-finite values at step ${step}: ${where.slice(0, 8).join(', ')}${where.length > 8 ? ` (+${where.length - 8} more)` : ''}`);
    this.name = 'NonFiniteError';
  }
}
