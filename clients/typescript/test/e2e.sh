#!/usr/bin/env bash
# The TypeScript client against a running node: installs TypeScript from package-lock.json
# into the build tree, compiles the client and its tests with tsc, starts
# `estalogic run test/node.toml --serve` on a free port, runs `npm test` (node's test
# runner) against it, stops the node with SIGINT and verifies the audit log it wrote.
# Exit 77 (ctest: skipped) when node or npm is not installed.
#
#   e2e.sh ESTALOGIC MODULE_DIR WORK_DIR NPM_CACHE
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node and npm are needed for the TypeScript client (scripts/setup installs them)"
  exit 77
fi
estalogic=$1 module_dir=$2 work=$3 cache=$4
client=$(cd "$(dirname "$0")/.." && pwd)

"$client/../../scripts/npm-install" "$client" "$work/npm" "$cache" tsc
cp "$client/package.json" "$work/npm/"
rm -rf "$work/npm/dist"
# The output sits beside the package.json that makes it ES modules.
"$work/npm/node_modules/.bin/tsc" -p "$client" --outDir "$work/npm/dist" \
  --typeRoots "$work/npm/node_modules/@types"

# The node: a fresh state directory, a token only this run knows, any free port.
rm -rf "$work/state"
export ESTA_CLIENT_TEST_TOKEN="client-test-$$-$RANDOM$RANDOM"
"$estalogic" run "$client/test/node.toml" --serve --module-dir "$module_dir" \
  --state-dir "$work/state" --ingress-port 0 --http-port 0 --deadline-ms 10000 \
  >"$work/serve.out" 2>"$work/serve.err" &
node_pid=$!
trap 'kill -INT $node_pid 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 300); do
  port=$(sed -nE 's#.*serving POST http://127\.0\.0\.1:([0-9]+).*#\1#p' "$work/serve.err" | head -1)
  [[ -n $port ]] && break
  if ! kill -0 $node_pid 2>/dev/null; then break; fi
  sleep 0.05
done
if [[ -z $port ]]; then
  echo "FAILED: the node did not start serving:"
  cat "$work/serve.err"
  exit 1
fi

status=0
(cd "$work/npm" && ESTALOGIC_URL="http://127.0.0.1:$port" ESTALOGIC_TOKEN="$ESTA_CLIENT_TEST_TOKEN" \
  npm test --silent) || status=$?

kill -INT $node_pid
wait $node_pid || true
trap - EXIT
"$estalogic" verify-log "$work/state/audit" --key "$work/state/data/node.key.pub" || status=1
if ((status != 0)); then
  echo "FAILED: npm test exited with $status; the node said:"
  tail -20 "$work/serve.err"
fi
exit $status
