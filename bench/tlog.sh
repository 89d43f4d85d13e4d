#!/usr/bin/env bash
# Load test of the transparency log (`cunzheng log serve`'s library) over loopback HTTP:
# 1,000,000 appends from 16 concurrent clients by default; prints appends/s, p50/p99 latency
# and proof sizes at several tree sizes (they grow as log2 n).
#
#   bash bench/tlog.sh [ENTRIES] [CLIENTS] [SECONDS]     (defaults: 1000000 16 3600)
#
# Stops at ENTRIES or after SECONDS, whichever comes first, and says which. The database is
# written to $BENCH_DIR (default /tmp/cunzheng-bench) and removed before each run.
set -euo pipefail
cd "$(dirname "$0")/.."
entries=${1:-1000000}
clients=${2:-16}
seconds=${3:-3600}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
mkdir -p "$dir"
rm -f "$dir"/tlog-load.db "$dir"/tlog-load.db-wal "$dir"/tlog-load.db-shm
cargo build --release -p cunzheng-tlog --example tlog_load
exe="${CARGO_TARGET_DIR:-target}/release/examples/tlog_load"
"$exe" --entries "$entries" --clients "$clients" --seconds "$seconds" --db "$dir/tlog-load.db"
