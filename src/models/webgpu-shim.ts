/**
 * What tfjs-backend-webgpu 4.22 needs from Node that a browser gives it, and one fix.
 *
 * - It registers the `webgpu` backend only if `globalThis.navigator.gpu` exists when the package
 *   is imported (webgpu_util.isWebGPUSupported), so Dawn's GPU object must be installed as
 *   `navigator.gpu` first: `installNavigatorGpu`.
 * - Its backend factory (base.ts) pushes `['bgra8unorm-storage']`, an array inside the array,
 *   into `requiredFeatures` when the adapter has that feature; Dawn rejects the device request.
 *   `fixedGpu` wraps `requestAdapter` so every adapter's `requestDevice` gets a flat, deduplicated
 *   list of feature names.
 * - Its `readSync` (behind `dataSync`/`arraySync`) copies through `OffscreenCanvas`, which Node
 *   lacks: see `assertSyncReadable` in readback.ts.
 */

/** A WebGPU entry point as far as this module uses it (Dawn's `create([])` result, or a fake). */
export interface GpuLike {
  requestAdapter(options?: unknown): Promise<AdapterLike | null>;
  [key: string]: unknown;
}
export interface AdapterLike {
  requestDevice(descriptor?: DeviceDescriptorLike): Promise<unknown>;
  [key: string]: unknown;
}
export interface DeviceDescriptorLike {
  requiredFeatures?: Iterable<unknown>;
  [key: string]: unknown;
}

/** Flattens nested feature lists (any depth) into distinct names, first occurrence first. */
export function flattenFeatures(features: Iterable<unknown> | undefined): string[] {
  const out: string[] = [];
  const visit = (f: unknown): void => {
    if (typeof f === 'string') {
      if (!out.includes(f)) out.push(f);
    } else if (f !== null && typeof f === 'object' && Symbol.iterator in (f as object)) {
      for (const g of f as Iterable<unknown>) visit(g);
    } else {
      throw new TypeError(`WebGPU feature name must be a string, got ${String(f)}`);
    }
  };
  if (features !== undefined) for (const f of features) visit(f);
  return out;
}

/** The descriptor with `requiredFeatures` flattened (a copy; the caller's is left alone). */
export function fixDeviceDescriptor(descriptor: DeviceDescriptorLike | undefined): DeviceDescriptorLike | undefined {
  if (descriptor === undefined || descriptor.requiredFeatures === undefined) return descriptor;
  return { ...descriptor, requiredFeatures: flattenFeatures(descriptor.requiredFeatures) };
}

const FIXED = Symbol.for('moeflow.webgpuFeatureFix');

/** Makes `adapter.requestDevice` flatten its features; idempotent. */
export function fixAdapter<A extends AdapterLike>(adapter: A): A {
  if ((adapter as Record<symbol, unknown>)[FIXED]) return adapter;
  const original = adapter.requestDevice.bind(adapter);
  const requestDevice = (descriptor?: DeviceDescriptorLike): Promise<unknown> => original(fixDeviceDescriptor(descriptor));
  try {
    Object.defineProperty(adapter, 'requestDevice', { value: requestDevice, configurable: true, writable: true });
    Object.defineProperty(adapter, FIXED, { value: true });
    return adapter;
  } catch {
    // A non-extensible native object: a proxy that answers requestDevice itself.
    return new Proxy(adapter, {
      get(target, key) {
        if (key === 'requestDevice') return requestDevice;
        if (key === FIXED) return true;
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

/** A GPU object whose adapters all request devices with flat feature lists. */
export function fixedGpu<G extends GpuLike>(gpu: G): G {
  if ((gpu as Record<symbol, unknown>)[FIXED]) return gpu;
  const requestAdapter = async (options?: unknown): Promise<AdapterLike | null> => {
    const adapter = await gpu.requestAdapter(options);
    return adapter === null || adapter === undefined ? null : fixAdapter(adapter);
  };
  return new Proxy(gpu, {
    get(target, key) {
      if (key === 'requestAdapter') return requestAdapter;
      if (key === FIXED) return true;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Sets `globalThis.navigator.gpu` to `gpu` wrapped by `fixedGpu`. Node 20 has no `navigator`
 * (one is defined); Node ≥ 21 has one without `gpu` (the property is added, or, if the object
 * refuses, `navigator` is replaced by an object inheriting from it). Returns the installed GPU.
 */
export function installNavigatorGpu(gpu: GpuLike, global: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): GpuLike {
  const fixed = fixedGpu(gpu);
  const nav = global['navigator'] as Record<string, unknown> | undefined;
  if (nav === undefined || nav === null) {
    Object.defineProperty(global, 'navigator', { value: { gpu: fixed }, configurable: true, writable: true });
    return fixed;
  }
  if (nav['gpu'] === fixed) return fixed;
  try {
    Object.defineProperty(nav, 'gpu', { value: fixed, configurable: true, writable: true });
    if (nav['gpu'] === fixed) return fixed;
  } catch {
    // fall through: replace navigator
  }
  const replacement = Object.create(nav) as Record<string, unknown>;
  Object.defineProperty(replacement, 'gpu', { value: fixed, configurable: true, writable: true });
  Object.defineProperty(global, 'navigator', { value: replacement, configurable: true, writable: true });
  return fixed;
}
