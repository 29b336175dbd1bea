#!/usr/bin/env bash
# Fuzzes the signalling decoder and room state machine with libFuzzer for SECONDS (default 60).
# Usage: fuzz/signaling/run.sh [SECONDS]
#
# Builds SignalingFuzzer.swift with Sources/ParleySignaling/*.swift straight through swiftc
# (-sanitize=fuzzer,address; the libFuzzer runtime ships with the Swift toolchain, nothing to
# install) into fuzz/signaling/build/, which git ignores. New inputs go to build/corpus; the
# checked-in seeds in corpus/ are only read. Exits non-zero if an input crashes, breaks an
# invariant, leaks, or takes more than 10 s; the input is then saved as build/crash-*,
# build/timeout-* or build/leak-*, and its steps are printed.
# Reproduce one: PARLEY_FUZZ_TRACE=1 fuzz/signaling/build/signaling-fuzzer FILE
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*)
        echo "usage: $0 [SECONDS]" >&2
        exit 2
        ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$here/build"
binary="$build/signaling-fuzzer"
mkdir -p "$build/corpus"

swiftc_path="$(command -v swiftc || true)"
if [ -z "$swiftc_path" ] && [ -x /opt/swift/usr/bin/swiftc ]; then
    swiftc_path=/opt/swift/usr/bin/swiftc
fi
if [ -z "$swiftc_path" ]; then
    echo "swiftc not found (install Swift 6.3 or put it on PATH)" >&2
    exit 1
fi

sources=("$root"/Sources/ParleySignaling/*.swift "$here/SignalingFuzzer.swift")
# Rebuild only when a source is newer than the binary.
rebuild=1
if [ -x "$binary" ]; then
    rebuild=0
    for source in "${sources[@]}" "$0"; do
        if [ "$source" -nt "$binary" ]; then rebuild=1; fi
    done
fi
if [ "$rebuild" -eq 1 ]; then
    echo "building $binary"
    # gold warns about every ASan helper symbol it cannot export; those lines are noise.
    if ! "$swiftc_path" -sanitize=fuzzer,address -parse-as-library -swift-version 6 \
        -module-name ParleySignaling -O -g "${sources[@]}" -o "$binary.tmp" \
        2> >(grep -v "Cannot export local symbol" >&2); then
        echo "fuzzer build failed" >&2
        exit 1
    fi
    mv "$binary.tmp" "$binary"
fi

# The Swift runtime's own crash reporter fights ASan over the crashed process (and can hang
# it); libFuzzer and ASan report crashes here.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"

echo "fuzzing for $seconds s"
status=0
(cd "$build" && "$binary" \
    -max_total_time="$seconds" \
    -max_len=16384 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$build/" \
    "$build/corpus" "$here/corpus") 2>"$build/last-run.log" || status=$?

grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$build/last-run.log" || true
if [ "$status" -ne 0 ]; then
    echo "FUZZER FAILED (exit $status); the end of its log:" >&2
    grep -v "Cannot export local symbol" "$build/last-run.log" | tail -n 60 >&2
    artifact="$(grep -oE "Test unit written to [^ ]+" "$build/last-run.log" | tail -n 1 | sed 's/Test unit written to //')"
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then
        echo "reproducer: $artifact; its steps:" >&2
        PARLEY_FUZZ_TRACE=1 "$binary" "$artifact" 2>&1 | grep -a -vE "^(INFO|    #)" | tail -n 80 >&2 || true
    fi
    exit "$status"
fi
echo "no crash, invariant broken, leak or timeout in $seconds s"
