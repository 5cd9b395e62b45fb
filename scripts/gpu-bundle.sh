#!/usr/bin/env bash
# Builds the self-contained GPU-check bundle (issue 11): a folder to carry to a Linux x64 machine
# with an NVIDIA GPU and no npm, run there with `bash <bundle>/gpu-check.sh`. Needs `npm run build`
# first (for dist/vendor/tfjs-gradients.js) and esbuild from node_modules. Usage:
#   bash scripts/gpu-bundle.sh [OUT=.gpu-bundle]
# Layout (limit 64 MiB, checked at the end):
#   gpu-check.sh                 the runner (copy of scripts/gpu-check.sh)
#   app/js/*.js                  esbuild ESM bundles: gpu-check.js, moe-layer.js, shared chunks
#   app/js/pipelines, moe_layer_torch_gpu.py      the step inputs (golden vectors: the checkout's
#                                test/fixtures/golden, found from the bundle's parent; GPU_BUNDLE_GOLDEN=1 copies them in, +14 MB)
#   vendor/tfjs-gradients.js     tfjs-core's gradients, where src/models/tf.ts looks (../../vendor)
#   node_modules/webgpu          Dawn: package.json, index.js and dist/linux-x64/dawn.node.xz (unpacked by gpu-check.sh)
#   bin/node.xz                  this machine's Node (linux-x64), for GPU machines without Node (unpacked to /tmp when needed)
#   vulkan/libvulkan.so.1        Debian's Vulkan loader (libvulkan1), used when the machine has none
# Sizes: ~33 MB; with the checkout's tracked files (~18 MB) that travel with it, under 64 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.gpu-bundle}
LIMIT=$((64 * 1024 * 1024))
cd "$ROOT"
[ -f dist/vendor/tfjs-gradients.js ] || { echo "gpu-bundle: run npm run build first (dist/vendor/tfjs-gradients.js missing)" >&2; exit 1; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "gpu-bundle: node_modules/webgpu/dist/linux-x64/dawn.node missing (optional dependency \"webgpu\" not installed)" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs-backend-webgpu ] || { echo "gpu-bundle: @tensorflow/tfjs-backend-webgpu not installed (optional dependency)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/app/js" "$OUT/vendor" "$OUT/node_modules/webgpu/dist/linux-x64" "$OUT/vulkan"

# One ESM bundle per entry, shared code split into chunks (tfjs once). Dawn stays external: it is
# a native addon, loaded from node_modules/webgpu beside the bundle. The wasm backend's .wasm
# files are not carried (the check uses webgpu; wasm would fail to start, reported as such).
node_modules/.bin/esbuild scripts/gpu-check.ts bench/moe-layer.ts \
  --bundle --splitting --format=esm --platform=node --target=node20 \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --outdir="$OUT/app/js" --entry-names='[name]' --chunk-names='chunk-[hash]' \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --ignore-annotations --log-level=warning
cp dist/vendor/tfjs-gradients.js "$OUT/vendor/"
cp -r pipelines "$OUT/app/js/pipelines"
[ "${GPU_BUNDLE_GOLDEN:-0}" = 1 ] && cp -r test/fixtures/golden "$OUT/app/js/golden"
cp scripts/gpu/moe_layer_torch_gpu.py "$OUT/app/js/"
cp scripts/gpu-check.sh "$OUT/gpu-check.sh"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$OUT/node_modules/webgpu/"
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
# Node for machines without it (the GPU image has Python/CUDA, not Node): the official-style static build.
NODE_BIN=${NODE_BIN:-$(command -v node)}
case "$(file -L "$NODE_BIN")" in *x86-64*) ;; *) echo "gpu-bundle: $NODE_BIN is not an x86-64 binary" >&2; exit 1;; esac
if ldd "$NODE_BIN" | grep -q libnode; then echo "gpu-bundle: $NODE_BIN needs libnode (a distro build); set NODE_BIN to an official node binary" >&2; exit 1; fi
mkdir -p "$OUT/bin"; xz -T2 -6 -c "$NODE_BIN" > "$OUT/bin/node.xz"; "$NODE_BIN" --version > "$OUT/bin/NODE_VERSION"
echo '{"type":"module"}' > "$OUT/app/package.json"

# Debian's Vulkan loader: from apt here (amd64 lists, as /work/.library/device/README.md does it),
# or from VULKAN_DEB=path/to/libvulkan1_*.deb.
deb=${VULKAN_DEB:-}
if [ -z "$deb" ]; then
  tmp=$(mktemp -d)
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64'
  (cd "$tmp" && apt-get $o download libvulkan1 >/dev/null 2>&1) || true
  deb=$(ls "$tmp"/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)
fi
if [ -n "$deb" ] && [ -f "$deb" ]; then
  x=$(mktemp -d); dpkg-deb -x "$deb" "$x"
  cp -L "$x"/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$OUT/vulkan/libvulkan.so.1"
  basename "$deb" > "$OUT/vulkan/SOURCE"
else
  echo "gpu-bundle: warning: no libvulkan1 .deb (apt-get download libvulkan1 failed); the bundle relies on the machine's loader" >&2
fi

size=$(du -sb "$OUT" | cut -f1)
echo "gpu-bundle: $OUT $(numfmt --to=iec "$size") ($size bytes, limit $LIMIT)"
[ "$size" -le "$LIMIT" ] || { echo "gpu-bundle: over the 64 MiB limit" >&2; exit 1; }
