/**
 * Domain name ↔ small integer id, append-only so ids never change during a run.
 * Ids fit a Uint8Array (per-token domain ids in packed windows), hence at most 256 names.
 */
export class DomainTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private snapshot: readonly string[] = Object.freeze([]);

  constructor(names: readonly string[] = []) {
    for (const name of names) this.id(name);
  }

  /** The id of `name`, assigning the next free one on first sight. */
  id(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= 256) {
      throw new Error(`domain table: more than 256 domains (new one: ${JSON.stringify(name)}); per-token domain ids are 8-bit`);
    }
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    this.snapshot = Object.freeze([...this.names]);
    return id;
  }

  /** Frozen list of names by id; a new array only when a name was added. */
  list(): readonly string[] {
    return this.snapshot;
  }
}
