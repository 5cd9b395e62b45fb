import { tf } from '../tf.js';

/**
 * tfjs-backend-wasm implements Identity as a memcpy, and tfjs copies every tensor it saves for
 * the backward pass through Identity (`Engine.clone`), so on wasm each saved activation or
 * weight exists twice until the step ends. Tensors are immutable (a Variable's `assign` swaps
 * its data id, it never writes in place), so Identity can share the data the way wasm's own
 * Reshape does: one more reference, no copy. Registered once, replacing the stock kernel.
 */
export function shareIdentityOnWasm(): void {
  if (tf.getKernel('Identity', 'wasm')?.kernelFunc === identityByReference) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityByReference as never });
}

function identityByReference({ inputs, backend }: { inputs: { x: tf.TensorInfo }; backend: { incRef(dataId: object): void } }): tf.TensorInfo {
  const { x } = inputs;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
