#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for a bounded time over its seed corpus.
#   run_fuzz.sh FUZZER SECONDS SEEDS WORKDIR [LIBFUZZER FLAGS...]
# New inputs go to WORKDIR/corpus (the seed directory is never written),
# crashes, leaks and hangs to WORKDIR/artifacts/. FUZZ_SECONDS in the
# environment overrides SECONDS. Exit status 0: no crash, no sanitizer
# report, no hang; 1: a finding (its input is in WORKDIR/artifacts/).
set -eu
fuzzer=$1 seconds=${FUZZ_SECONDS:-$2} seeds=$3 work=$4
shift 4
mkdir -p "$work/corpus" "$work/artifacts"
# libFuzzer's own exit codes for findings (77, 70) would read as "skipped"
# to meson; every finding exits 1 instead.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds"
