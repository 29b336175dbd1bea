#!/bin/sh
# Builds the STUN decoder (and ICE-lite agent) fuzz target with libFuzzer and AddressSanitizer and runs it.
# Usage: fuzz/stun/run.sh [seconds]   (default 60)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
out="$root/.build/fuzz-stun"
mkdir -p "$out/work-corpus"
cp -n "$here"/corpus/* "$out/work-corpus/" 2>/dev/null || true

# The codec imports `Crypto`; a stub module with the same signatures keeps the build to the
# STUN sources alone.
swiftc -parse-as-library -module-name Crypto -emit-module -emit-library -static \
    -emit-module-path "$out/Crypto.swiftmodule" -o "$out/libCrypto.a" "$here/CryptoStub.swift"
# shellcheck disable=SC2046
swiftc -sanitize=fuzzer,address -parse-as-library -module-name STUN -O -g \
    -I "$out" -L "$out" -lCrypto \
    $(find "$root/Sources/STUN" "$root/Sources/ICE" -name '*.swift') "$here/main.swift" -o "$out/fuzz-stun"

"$out/fuzz-stun" -max_total_time="$seconds" -max_len=2048 "$out/work-corpus" "$here/corpus"
