#!/usr/bin/env bash
# Runs the V8 differential test; skips (77) when node or wasm-opt is missing, except in CI,
# where a missing tool must fail the build rather than silently drop the test.
# usage: run_differential.sh DIFF_RUNNER WORK_DIR REGRESSION_DIR SEED...
set -euo pipefail
for tool in node wasm-opt; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [[ "${CI:-}" == "true" ]]; then
      echo "differential: $tool is missing (required in CI)" >&2
      exit 1
    fi
    echo "differential: $tool is missing, skipping" >&2
    exit 77
  fi
done
exec node "$(dirname "$0")/run_differential.js" "$@"
