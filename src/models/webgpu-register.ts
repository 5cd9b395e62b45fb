/**
 * Imported (dynamically, by backend.ts) only after `navigator.gpu` is installed: importing
 * tfjs-backend-webgpu registers the `webgpu` backend iff `navigator.gpu` exists at that moment.
 * A literal specifier, so esbuild bundles it into scripts/gpu-check's bundle, sharing tfjs-core.
 */
import '@tensorflow/tfjs-backend-webgpu';
