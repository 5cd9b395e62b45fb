/** Messages between `EncoderPool` and its workers. */
export interface EncodeRequest {
  readonly id: number;
  readonly texts: readonly string[];
}

/** All ids of a batch in one buffer (transferred, not copied); doc i is `ids[offsets[i]..offsets[i+1])`. */
export type EncodeReply =
  | { readonly id: number; readonly ids: Int32Array; readonly offsets: Int32Array; readonly error?: undefined }
  | { readonly id: number; readonly error: string };
