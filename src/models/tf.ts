/**
 * The one place the project imports TensorFlow.js (ARCHITECTURE.md §3).
 * Everything in src/models imports `tf` from here; nothing outside src/models may.
 * Importing the backend packages registers them; `backend.ts` picks one at start.
 * Use functional ops (`tf.sum(x)`): tfjs-core's chained ops (`x.sum()`) are not registered
 * in its Node bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

// tfjs-core's Node bundle ships no gradients (the 272 MB umbrella package registers them).
// `npm run build` bundles tfjs-core's own register_all_gradients.js into dist/vendor with
// esbuild; it registers into the same global kernel registry the backends use.
await import(new URL('../../vendor/tfjs-gradients.js', import.meta.url).href);

export { tf };
export type Tensor = tf.Tensor;
export type Scalar = tf.Scalar;
export type Tensor1D = tf.Tensor1D;
export type Tensor2D = tf.Tensor2D;
export type Tensor3D = tf.Tensor3D;
export type Tensor4D = tf.Tensor4D;
export type Variable = tf.Variable;
export type GradSaveFunc = tf.GradSaveFunc;
