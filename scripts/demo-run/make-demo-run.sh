#!/bin/sh
# Regenerates examples/run (the bundled demo training run) from the bundled minute data.
#   scripts/demo-run/make-demo-run.sh           export features, train, write examples/run
#   scripts/demo-run/make-demo-run.sh --check   also rerun and fail unless every file is byte-identical
# PYTHON overrides the interpreter (default: the fixtures venv, see README.md).
set -eu
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-scripts/fixtures/.venv-fixtures/bin/python}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0

build() {
  node --import tsx scripts/demo-run/export-features.ts
  "$PYTHON" scripts/demo-run/train.py
}

hashes() {
  find examples/run -type f ! -name README.md -exec sha256sum {} + | LC_ALL=C sort -k2
}

start=$(date +%s)
build
echo "make-demo-run: done in $(( $(date +%s) - start )) s; examples/run is $(du -sh examples/run | cut -f1)" >&2

if [ "${1:-}" = "--check" ]; then
  first=$(hashes)
  build 2>/dev/null
  if [ "$first" != "$(hashes)" ]; then
    echo "make-demo-run: a rerun changed examples/run (training is not deterministic)" >&2
    exit 1
  fi
  echo "make-demo-run: rerun is byte-identical ($(echo "$first" | wc -l) files)" >&2
fi
