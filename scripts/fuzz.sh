#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: build the fuzz targets of test/fuzz with clang's libFuzzer, AddressSanitizer
# and UndefinedBehaviorSanitizer (in ./build-fuzz) and run each one for SECONDS (default 60), starting from its seed
# corpus. New inputs that reach new code are kept in build-fuzz/corpus/<target> (the seeds in the source tree are
# left alone); a crash, a leak or a failed property stops the target and leaves its input in build-fuzz/crashes/.
# Add such an input to test/fuzz/corpus/<target>/ with the fix, so that make check replays it from then on.
# Needs clang and its runtime (Debian: clang, libclang-rt-14-dev), besides what scripts/install-deps.sh installs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(info json xml sigv4 filter pg page conf)
command -v clang >/dev/null || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

build="$top/build-fuzz"
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null
mkdir -p "$build/crashes"
cd "$build"
# the library with coverage for libFuzzer; the targets link libFuzzer's main
[ -f Makefile ] || CC=clang CFLAGS="$flags -fsanitize=fuzzer-no-link" "$top/configure" >/dev/null
make -j"$(nproc)" libgaiarest.a >build.log 2>&1 || { tail -n 30 build.log >&2; exit 1; }
libs=$(make -s fuzz-print-libs)
status=0
for target in "${targets[@]}"; do
    name="fuzz_$target"
    # shellcheck disable=SC2086
    clang $flags -fsanitize=fuzzer -I"$top/src" -I"$top/include" -I"$build" \
        "$top/test/fuzz/$name.c" "$top/test/fuzz/fuzz_common.c" libgaiarest.a $libs -o "$name" 2>>build.log ||
        { tail -n 30 build.log >&2; exit 1; }
    mkdir -p "corpus/$name"
    echo "== $name: $seconds s"
    if ! ASAN_OPTIONS=detect_leaks=1 ./"$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="crashes/$name-" -print_final_stats=1 \
        "corpus/$name" "$top/test/fuzz/corpus/$name" 2>"$name.log"; then
        status=1
        echo "$name: FAILED, see $build/$name.log and $build/crashes/"
        grep -m3 -E 'ERROR|fuzz property failed|SUMMARY' "$name.log" || true
    else
        grep -E 'stat::number_of_executed_units|cov:' "$name.log" | tail -2
    fi
done
exit $status
