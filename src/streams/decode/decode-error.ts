/** A compressed stream (or the file under it) could not be decoded; names the file and decoder. */
export class DecodeError extends Error {
  constructor(
    readonly file: string,
    readonly decoder: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${decoder} could not decode the file: ${detail}`, options);
    this.name = 'DecodeError';
  }
}
