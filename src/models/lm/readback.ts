import { tf } from '../tf.js';

/**
 * Collects small tensors during a step and reads them all back with ONE device→host copy
 * (one concat, one `data()`), then hands each consumer its slice. Every readback is a sync
 * point on an accelerator; one per step keeps the pipeline flowing.
 */
export class Readback {
  private readonly parts: tf.Tensor[] = [];
  private readonly sinks: ((values: Float32Array) => void)[] = [];

  /** Queues `t` (any shape, cast to float32); `sink` gets its values, row-major. The tensor is consumed (disposed after the read). */
  add(t: tf.Tensor, sink: (values: Float32Array) => void): void {
    this.parts.push(t);
    this.sinks.push(sink);
  }

  async read(): Promise<void> {
    if (this.parts.length === 0) return;
    const flat = tf.tidy(() => tf.concat(this.parts.map((p) => tf.reshape(p.dtype === 'float32' ? p : tf.cast(p, 'float32'), [-1])), 0));
    let values: Float32Array;
    try {
      values = (await flat.data()) as Float32Array;
    } finally {
      flat.dispose();
      tf.dispose(this.parts);
    }
    let offset = 0;
    this.parts.forEach((p, i) => {
      this.sinks[i]!(values.subarray(offset, offset + p.size));
      offset += p.size;
    });
    this.parts.length = 0;
    this.sinks.length = 0;
  }

  dispose(): void {
    tf.dispose(this.parts);
    this.parts.length = 0;
    this.sinks.length = 0;
  }
}
