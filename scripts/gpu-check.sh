#!/usr/bin/env bash
# The GPU check (issue 11). Run from the bundle (bash .gpu-bundle/gpu-check.sh [OUT.json]) or
# from a checkout after `npm run build` (bash scripts/gpu-check.sh [OUT.json]). Writes one JSON file
# (default ./gpu-check.json); exit 0 = real GPU and every step passed, 2 = no GPU adapter, 1 = a step failed.
# Environment: GPU_CHECK_BUDGET (seconds, default 450 of the 8-minute slot), GPU_CHECK_154M_BATCH (8), PYTHON.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$PWD/gpu-check.json}
if [ -f "$HERE/app/js/gpu-check.js" ]; then MAIN=$HERE/app/js/gpu-check.js          # the bundle
elif [ -f "$HERE/../dist/scripts/gpu-check.js" ]; then MAIN=$HERE/../dist/scripts/gpu-check.js  # a checkout
else echo "gpu-check: no gpu-check.js (build the bundle: bash scripts/gpu-bundle.sh, or npm run build)" >&2; exit 1; fi
unxz_to() { # unxz_to SRC.xz DEST: xz if present, else Python's lzma (the GPU image has python3)
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}
# Dawn is carried compressed.
DAWN=$HERE/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$DAWN.xz" ] && [ ! -f "$DAWN" ] && { unxz_to "$DAWN.xz" "$DAWN" || { echo "gpu-check: cannot unpack dawn.node" >&2; exit 1; }; }
# Node: the machine's if ≥ 20, else the carried one.
NODE=node
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  [ -f "$HERE/bin/node.xz" ] || { echo "gpu-check: no node ≥ 20 on this machine and none carried" >&2; exit 1; }
  NODE=${TMPDIR:-/tmp}/moeflow-gpu-node/node
  if [ ! -x "$NODE" ]; then mkdir -p "$(dirname "$NODE")" && unxz_to "$HERE/bin/node.xz" "$NODE" && chmod +x "$NODE"; fi
  echo "gpu-check: using the carried node $("$NODE" --version)"
fi
export PATH="$(dirname "$(command -v "$NODE")"):$PATH"

# Vulkan: the machine's loader if it has one, else the carried one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && [ -f "$HERE/vulkan/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$HERE/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "gpu-check: using the carried Vulkan loader ($(cat "$HERE/vulkan/SOURCE" 2>/dev/null || echo libvulkan.so.1))"
fi
# NVIDIA's ICD where containers put it without registering it in /usr/share/vulkan/icd.d.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/glvnd/egl_vendor.d/../../vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] && { export VK_DRIVER_FILES=$f; echo "gpu-check: VK_DRIVER_FILES=$f"; break; }
  done
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu-check: nvidia-smi: /'
exec "$NODE" "$MAIN" --out "$OUT" --budget "${GPU_CHECK_BUDGET:-450}"
