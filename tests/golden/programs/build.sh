#!/bin/sh
# Rebuilds the committed golden programs from their C sources with the packaged guest
# toolchain. The .wasm files are committed so the digests do not depend on the compiler
# present at test time; after rebuilding, regenerate the digests (see ../CMakeLists.txt).
set -eu
cd "$(dirname "$0")"
for source in *.c; do
  clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-debug "$source" -o "${source%.c}.wasm"
done
