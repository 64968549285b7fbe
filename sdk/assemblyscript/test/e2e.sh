#!/usr/bin/env bash
# A8 for the AssemblyScript SDK: checks the SDK against docs/ABI.md and its value encoding
# against the bytes ABI.md gives, builds the ESTA accrual module written in AssemblyScript
# (examples/esta-accrual/) with asc from the npm lockfile, embeds its declaration, and runs
# it under the kernel (`estalogic run` with the application's manifest) and the C module
# (esta-decide --engine kernel) over the same generated workload: the decision lines must be
# identical byte for byte, apart from the module hash the host appends, and the audit log
# of the run must verify. Exit 77 (ctest: skipped) when node or npm is not installed.
#
#   e2e.sh ESTALOGIC ESTA_WORKLOAD ESTA_DECIDE C_MODULE WORK_DIR NPM_CACHE
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node and npm are needed to build AssemblyScript (scripts/setup installs them)"
  exit 77
fi
estalogic=$1 workload=$2 decide=$3 c_module=$4 work=$5 cache=$6
sdk=$(cd "$(dirname "$0")/.." && pwd)
docs_abi="$sdk/../../docs/ABI.md"

# The compiler from the lockfile, installed in the build tree (never in the source tree);
# again only when the lockfile changed.
"$sdk/../../scripts/npm-install" "$sdk" "$work/npm" "$cache" asc
asc="$work/npm/node_modules/.bin/asc"

node "$sdk/test/abi_check.mjs" "$docs_abi"
# The value encoding on its own, under node: the bytes ABI.md specifies, malformed input.
(cd "$sdk" && "$asc" test/value_selftest.ts -o "$work/value_selftest.wasm" -O1 --runtime stub \
  --use abort=assembly/index/estalogicAbort)
node "$sdk/test/value_selftest.mjs" "$work/value_selftest.wasm"

# Build: asc, then the module's declaration (AssemblyScript cannot write custom sections).
module="$work/esta_accrual_as.wasm"
(cd "$sdk" && "$asc" examples/esta-accrual/module.ts -o "$work/esta_accrual_as.raw.wasm" -O2 \
  --runtime minimal --use abort=assembly/index/estalogicAbort)
"$estalogic" embed "$work/esta_accrual_as.raw.wasm" "$sdk/examples/esta-accrual/needs.toml" \
  -o "$module"
"$estalogic" check "$module" | tee "$work/check.txt"
grep -q "verdict    ok" "$work/check.txt"

# The same events: the C module under the kernel (esta-decide --engine kernel), and the
# AssemblyScript module by `estalogic run` with the application's own manifest, its module
# path resolved in a folder that holds the AssemblyScript build under the C module's name.
events="$work/events.jsonl"
"$workload" --seed 11 --events 4000 --employers 12 >"$events"
"$decide" --engine kernel --module "$c_module" "$events" >"$work/c.jsonl" 2>"$work/c.summary"
mkdir -p "$work/modules/module"
cp "$module" "$work/modules/module/esta_accrual.wasm"
rm -rf "$work/run"
"$estalogic" run "$sdk/../../examples/esta-accrual/app.toml" --module-dir "$work/modules" \
  --events "$events" --state-dir "$work/run" --decisions "$work/as.jsonl" --no-http --quiet
"$estalogic" verify-log "$work/run/audit" --key "$work/run/data/node.key.pub"

strip() { sed -E 's/,"module_sha256":"[0-9a-f]{64}"\}$/}/' "$1"; }
as_hash=$(sha256sum "$module" | cut -d' ' -f1)
hashed=$(grep -c ",\"module_sha256\":\"$as_hash\"}\$" "$work/as.jsonl" || true)
if [[ $hashed -ne 4000 ]]; then
  echo "FAILED: $hashed of 4000 decisions name the AssemblyScript module's SHA-256 $as_hash"
  exit 1
fi
if ! cmp -s <(strip "$work/c.jsonl") <(strip "$work/as.jsonl"); then
  echo "FAILED: the AssemblyScript module decides differently from the C module; first difference:"
  diff <(strip "$work/c.jsonl") <(strip "$work/as.jsonl") | head -4
  exit 1
fi
# Not vacuous: the workload reaches large employers, accrual, use and carryover.
large=$(grep -c '"size":"large"' "$work/as.jsonl" || true)
for kind in accrued approved denied rejected rolled_over; do
  grep -q "\"kind\":\"$kind\"" "$work/as.jsonl" || { echo "FAILED: no $kind decision"; exit 1; }
done
if [[ $large -lt 1000 ]]; then
  echo "FAILED: only $large decisions for large employers"
  exit 1
fi
echo "4000 decisions identical from the AssemblyScript and the C module ($large for large employers)"
