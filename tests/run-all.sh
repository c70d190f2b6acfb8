#!/usr/bin/env bash
# The whole test suite, as README.md's second command and CI (.ci/run) run it:
#   1. install what is needed (packaging/install-deps.sh, idempotent);
#   2. a Release build and every test;
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build and the engine's tests (bad input included);
#   4. if clang is there, the libFuzzer targets for a short run each.
# Fails (non-zero exit) as soon as a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
jobs=$(nproc)

echo "== Release build and all tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOOM_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== Sanitizer build (ASan + UBSan) and the engine's tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOOM_SANITIZE=ON -DLOOM_BUILD_APP=OFF -DLOOM_WERROR=ON
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L "engine|gpu"

if [ -d tests/fuzz ] && command -v clang++ >/dev/null; then
    echo "== Fuzzers (libFuzzer, a short run each)"
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DLOOM_BUILD_FUZZERS=ON -DLOOM_BUILD_APP=OFF -DLOOM_BUILD_TESTS=OFF
    cmake --build build-fuzz -j "$jobs" --target fuzzers
    ctest --test-dir build-fuzz --output-on-failure -L fuzz
fi
echo "== All tests passed"
