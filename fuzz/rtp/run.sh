#!/bin/sh
# Builds the RTP/RTCP decoder fuzz target with libFuzzer and AddressSanitizer and runs it.
# Usage: fuzz/rtp/run.sh [seconds]   (default 60)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
out="$root/.build/fuzz-rtp"
mkdir -p "$out/work-corpus"
cp -n "$here"/corpus/* "$out/work-corpus/" 2>/dev/null || true

# RTP has no dependencies, so its sources and the entry point build as one module.
# shellcheck disable=SC2046
swiftc -sanitize=fuzzer,address -parse-as-library -module-name RTP -O -g \
    $(find "$root/Sources/RTP" -name '*.swift') "$here/main.swift" -o "$out/fuzz-rtp"

"$out/fuzz-rtp" -max_total_time="$seconds" -max_len=2048 "$out/work-corpus" "$here/corpus"
