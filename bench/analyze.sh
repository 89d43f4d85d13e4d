#!/usr/bin/env bash
# Benchmark: entity extraction throughput (all validators) on 1M message bodies, one core.
#
#   bash bench/analyze.sh [MESSAGES]      (default 1000000)
#
# The bodies are the labelled real messages of tests/data/analysis/ (two in three) and
# entity-rich template lines (one in three), built in memory; only `extract` is timed.
# Pinned to CPU 0 with taskset when available. Prints MB/s and messages/s.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release -q -p cunzheng-analyze --example bench_extract
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_extract"
if command -v taskset >/dev/null; then
    taskset -c 0 "$bin" "$n"
else
    "$bin" "$n"
fi
