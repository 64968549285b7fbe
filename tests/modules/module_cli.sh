#!/bin/sh
# The module commands end to end (REQUIREMENTS K-22, K-23): embed, keygen, sign and check run
# as a user would run them, checking exit codes and the words that tell what went wrong.
# Usage: module_cli.sh ESTALOGIC WAT2WASM SOURCE_DIR WORK_DIR SCENARIO
set -u
estalogic=$1 wat2wasm=$2 source=$3 work=$4 scenario=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

fail() { echo "FAIL: $*"; exit 1; }
# expect CODE TEXT COMMAND...: runs COMMAND, wants exit CODE and TEXT in its output.
expect() {
  code=$1 text=$2
  shift 2
  "$@" >out.txt 2>&1
  actual=$?
  cat out.txt
  [ "$actual" -eq "$code" ] || fail "$* exited $actual, expected $code"
  grep -q -- "$text" out.txt || fail "$* did not say: $text"
}

"$wat2wasm" "$source/reactive.wat" -o plain.wasm || fail "wat2wasm"
"$wat2wasm" "$source/clock.wat" -o clock.wasm || fail "wat2wasm"
"$estalogic" keygen --out release.key >/dev/null || fail "keygen"
"$estalogic" keygen --out other.key >/dev/null || fail "keygen"

case $scenario in
  sign_then_check)
    expect 65 "declares no needs" "$estalogic" check plain.wasm
    expect 0 "embedded the declaration of approvals" \
      "$estalogic" embed plain.wasm "$source/approvals.needs.toml" -o module.wasm
    expect 0 "kv: keyspace \[read, write\]" "$estalogic" check module.wasm
    expect 0 "key id:" "$estalogic" sign module.wasm --key release.key
    expect 0 "verified: signed by trusted key" \
      "$estalogic" check module.wasm --key release.key.pub --require-signature
    expect 0 '"status": "verified"' "$estalogic" check module.wasm --key release.key.pub --json
    # Signing again replaces the signature; embedding again removes it, with a warning.
    expect 0 "key id:" "$estalogic" sign module.wasm --key release.key
    expect 0 "verified" "$estalogic" check module.wasm --key release.key.pub --require-signature
    expect 0 "signature no longer matches" \
      "$estalogic" embed module.wasm "$source/approvals.needs.toml"
    expect 65 "not signed; signatures are required" \
      "$estalogic" check module.wasm --key release.key.pub --require-signature
    ;;
  tamper_then_check)
    "$estalogic" embed plain.wasm "$source/approvals.needs.toml" -o module.wasm >/dev/null
    "$estalogic" sign module.wasm --key release.key >/dev/null || fail "sign"
    # One byte of the declared name, "approvals" -> "bpprovals": still a valid module.
    offset=$(grep -obUa approvals module.wasm | head -n1 | cut -d: -f1)
    [ -n "$offset" ] || fail "name not found in module.wasm"
    printf b | dd of=module.wasm bs=1 seek="$offset" conv=notrunc 2>/dev/null
    expect 65 "changed after signing" "$estalogic" check module.wasm --key release.key.pub
    # Re-signed by a key the kernel does not trust.
    "$estalogic" sign module.wasm --key other.key >/dev/null || fail "sign"
    expect 65 "not a trusted key" \
      "$estalogic" check module.wasm --key release.key.pub --require-signature
    # Anything appended after the signature.
    "$estalogic" sign module.wasm --key release.key >/dev/null || fail "sign"
    printf '\000\003\002hi' >> module.wasm
    expect 65 "not the module's last section" "$estalogic" check module.wasm --key release.key.pub
    ;;
  flags_nondeterminism)
    "$estalogic" embed clock.wasm "$source/approvals.needs.toml" >/dev/null || fail "embed"
    expect 65 "nondeterministic: the host clock" "$estalogic" check clock.wasm
    ;;
  bad_inputs)
    expect 66 "cannot read missing.wasm" "$estalogic" check missing.wasm
    expect 66 "cannot read" "$estalogic" check plain.wasm --key missing.pub
    expect 66 "readable by group or others" sh -c \
      "chmod 644 release.key && '$estalogic' sign plain.wasm --key release.key"
    printf 'name = "x"\nversion = 1\nexports = "reactive"\n' > bad.toml
    expect 65 "bad.toml:2: version: must be text" "$estalogic" embed plain.wasm bad.toml
    printf 'not wasm' > junk.wasm
    expect 65 "not a WebAssembly" "$estalogic" check junk.wasm
    expect 65 "not a valid WebAssembly module" \
      "$estalogic" embed junk.wasm "$source/approvals.needs.toml"
    ;;
  *)
    fail "unknown scenario $scenario"
    ;;
esac
echo "PASS: $scenario"
