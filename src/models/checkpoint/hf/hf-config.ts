/**
 * A checkpoint folder's `config.json`, read key by key. A key that is absent takes the value
 * transformers' config class gives it (hub configs often omit keys equal to the defaults, e.g.
 * `google/siglip-base-patch16-224`), and each such default is recorded so the load can report
 * it; a key without a default, of the wrong type or with a value moeflow cannot run is an
 * error naming the file and the key (`vision_config.hidden_act`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CONFIG_FILE = 'config.json';

type Json = unknown;

export class HfConfig {
  private constructor(
    /** The config.json path errors name. */
    readonly file: string,
    private readonly json: Readonly<Record<string, Json>>,
    /** The key path of this section, e.g. `vision_config.` (empty at the top). */
    private readonly path: string,
    /** Every `key = value` that came from a default, shared with sub-sections. */
    readonly defaulted: string[],
  ) {}

  static async read(dir: string): Promise<HfConfig> {
    const file = join(dir, CONFIG_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new Error(`${file}: cannot read the checkpoint's config (${(e as Error).message})`);
    }
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not JSON (${(e as Error).message})`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: not a JSON object`);
    return new HfConfig(file, json as Record<string, Json>, '', []);
  }

  has(key: string): boolean {
    return this.json[key] !== undefined;
  }

  /** The sub-object under `key` (e.g. CLIPConfig's `vision_config`); absent: all defaults, as transformers does. */
  section(key: string): HfConfig {
    const v = this.json[key];
    if (v === undefined || v === null) {
      this.defaulted.push(`${this.path}${key} = {}`);
      return new HfConfig(this.file, {}, `${this.path}${key}.`, this.defaulted);
    }
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'must be an object');
    return new HfConfig(this.file, v as Record<string, Json>, `${this.path}${key}.`, this.defaulted);
  }

  /** The raw value (undefined when absent). */
  raw(key: string): Json {
    return this.json[key];
  }

  str(key: string, dflt?: string): string {
    const v = this.value(key, dflt);
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  num(key: string, dflt?: number): number {
    const v = this.value(key, dflt);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A positive integer (a size). */
  int(key: string, dflt?: number): number {
    const v = this.num(key, dflt);
    if (!Number.isInteger(v) || v <= 0) this.fail(key, `must be a positive integer, got ${v}`);
    return v;
  }

  /**
   * An integer that may be null (`pad_token_id`, `sliding_window`): an explicit null stays null,
   * an absent key takes `dflt` (recorded). `min` is the smallest value allowed.
   */
  nullableInt(key: string, dflt: number | null, min: number): number | null {
    const v = this.json[key];
    if (v === null) return null;
    if (v === undefined) {
      this.defaulted.push(`${this.path}${key} = ${JSON.stringify(dflt)}`);
      return dflt;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(key, `must be an integer ≥ ${min} or null, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(key: string, dflt?: boolean): boolean {
    const v = this.value(key, dflt);
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** An error naming the file and this key. */
  fail(key: string, why: string): never {
    throw new Error(`${this.file}: config key '${this.path}${key}' ${why}`);
  }

  private value(key: string, dflt: Json): Json {
    const v = this.json[key];
    if (v !== undefined && v !== null) return v;
    if (dflt === undefined) this.fail(key, 'is missing');
    this.defaulted.push(`${this.path}${key} = ${JSON.stringify(dflt)}`);
    return dflt;
  }
}
