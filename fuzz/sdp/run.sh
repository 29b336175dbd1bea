#!/bin/sh
# Builds the SDP parser and echo-answer fuzz target with libFuzzer and AddressSanitizer and runs it.
# Usage: fuzz/sdp/run.sh [seconds]   (default 60)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
out="$root/.build/fuzz-sdp"
mkdir -p "$out/work-corpus"
cp -n "$here"/corpus/* "$out/work-corpus/" 2>/dev/null || true

# The SDP target has no dependencies, so its sources and the entry point make one module.
# shellcheck disable=SC2046
swiftc -sanitize=fuzzer,address -parse-as-library -module-name SDP -O -g \
    $(find "$root/Sources/SDP" -name '*.swift') "$here/main.swift" -o "$out/fuzz-sdp"

# Offers grow to several KiB; 16 KiB lets the fuzzer reach the size limits' neighbourhood.
"$out/fuzz-sdp" -max_total_time="$seconds" -max_len=16384 "$out/work-corpus" "$here/corpus"
