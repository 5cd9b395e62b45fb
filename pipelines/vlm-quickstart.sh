#!/usr/bin/env bash
# The three-stage VLM recipe on fixtures/llava-synthetic, one stage after the other, each
# starting from the previous stage's newest run in OUT (default runs):
#   bash pipelines/vlm-quickstart.sh [OUT] [extra pipeline-run options, e.g. --set trainer.steps=20]
# Ends with the held-out answer accuracy (RUN_DIR/heldout.json of stages 2 and 3).
set -euo pipefail
OUT=${1:-runs}; shift || true
here=$(cd "$(dirname "$0")/.." && pwd)
for s in 1 2 3; do
  from=()
  [ "$s" -gt 1 ] && from=(--set "model.vlm.init.from=$OUT/vlm-stage$((s - 1))")
  node "$here/bin/pipeline.js" run "$here/pipelines/vlm-stage$s.yaml" --out "$OUT" "${from[@]}" "$@"
done
