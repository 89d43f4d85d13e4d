#!/usr/bin/env bash
# Benchmark: `cunzheng preserve` (copy + SHA-256 + SM3 + seal) against `sha256sum` and
# `openssl dgst -sm3` over the same files, in the same run. Prints times and ratios.
#
#   bash bench/preserve.sh [SIZE_MB]      (default 2048: a 2 GB mix of many small and a few large files)
#
# BENCH_DIR=/dev/shm/cunzheng-bench puts inputs and the case in memory: what is left is the
# tools' own work, without the disk (whose write speed on a VM can swing several-fold between
# runs). CUNZHENG_BIN=path uses an already built binary instead of building one.
#
# Files are made once under $BENCH_DIR (default /tmp/cunzheng-bench) and reused. Each tool runs
# once to warm the page cache, then REPEAT times (default 3); the median is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-2048}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
repeat=${REPEAT:-3}
input="$dir/input-$size_mb"

if [ ! -d "$input" ]; then
    echo "generating $size_mb MB of test files in $input ..."
    python3 - "$input" "$size_mb" <<'PY'
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(20261128)
small_budget = total * 35 // 100          # 35 % in many small files (1-64 KB): chat exports, images
large = [total * 30 // 100, total * 20 // 100, total * 15 // 100]  # a few big databases / videos
os.makedirs(root)
n = used = 0
while used < small_budget:
    size = rng.randint(1 << 10, 64 << 10)
    d = os.path.join(root, "small", f"{n // 1000:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{n:06d}.bin"), "wb") as f:
        f.write(rng.randbytes(size))
    used += size
    n += 1
for i, size in enumerate(large):
    with open(os.path.join(root, f"large{i}.bin"), "wb") as f:
        chunk = rng.randbytes(1 << 20)
        for _ in range(size >> 20):
            f.write(chunk[:1] + os.urandom(16) + chunk[17:])
print(f"{n} small files, {len(large)} large files")
PY
fi

if [ -n "${CUNZHENG_BIN:-}" ]; then
    bin=$CUNZHENG_BIN
else
    cargo build --release -q -p cunzheng
    bin=target/release/cunzheng
fi
list="$dir/files-$size_mb.txt"
find "$input" -type f | sort > "$list"
bytes=$(du -sb "$input" | cut -f1)
files=$(wc -l < "$list")
echo "input: $files files, $bytes bytes; $(nproc) cores"
export CUNZHENG_HOME="$dir/home"
# A throw-away benchmark key: no passphrase to type.
export CUNZHENG_KEY_UNENCRYPTED=1

run_sha256() { xargs -d '\n' sha256sum < "$list" > /dev/null; }
run_sm3() { xargs -d '\n' openssl dgst -sm3 < "$list" > /dev/null; }
run_cp() {
    # A plain durable copy: the floor for any tool that must keep a copy of the evidence.
    rm -rf "$dir/cp"
    cp -r "$input" "$dir/cp" && sync -f "$dir"
}
run_preserve() {
    rm -rf "$dir/case"
    # --no-parse, --no-report: the target concerns hashing and copying; random test files hold
    # no chats, and the report (a PDF listing every exhibit) is measured by bench/report.sh.
    "$bin" --quiet preserve --no-parse --no-report "$input" --out "$dir/case" > /dev/null
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() {
    local fn=$1 t0 t1
    "$fn"   # warm-up
    for _ in $(seq "$repeat"); do
        t0=$(date +%s.%N); "$fn"; t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc
    done | median
}

cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
t_sha=$(time_it run_sha256)
t_sm3=$(time_it run_sm3)
t_cp=$(time_it run_cp)
rm -rf "$dir/cp"
t_cz=$(time_it run_preserve)
mbps() { echo "scale=0; $bytes / 1048576 / $1" | bc; }
printf '%-40s %8.2f s  %6s MB/s\n' "sha256sum" "$t_sha" "$(mbps "$t_sha")"
printf '%-40s %8.2f s  %6s MB/s\n' "openssl dgst -sm3" "$t_sm3" "$(mbps "$t_sm3")"
printf '%-40s %8.2f s  %6s MB/s\n' "cp -r + sync (copy only, no hashing)" "$t_cp" "$(mbps "$t_cp")"
printf '%-40s %8.2f s  %6s MB/s\n' "cunzheng preserve (copy+SHA-256+SM3+seal)" "$t_cz" "$(mbps "$t_cz")"
printf 'ratio cunzheng preserve / openssl dgst -sm3 = %.2f (target <= 1.00)\n' "$(echo "$t_cz / $t_sm3" | bc -l)"
printf 'ratio cunzheng preserve / sha256sum        = %.2f\n' "$(echo "$t_cz / $t_sha" | bc -l)"
printf 'ratio cunzheng preserve / cp -r + sync     = %.2f\n' "$(echo "$t_cz / $t_cp" | bc -l)"
rm -rf "$dir/case"
# CPU seconds (user + system) of one run each: the share of the work that is computation, as
# opposed to waiting for the disk (preserve must write and sync a full copy).
rm -rf "$dir/case"
c_sm3=$(cpu sh -c "xargs -d '\\n' openssl dgst -sm3 < '$list'")
c_cz=$(cpu "$bin" --quiet preserve --no-parse --no-report "$input" --out "$dir/case")
printf 'CPU seconds: openssl dgst -sm3 %s, cunzheng preserve %s\n' "$c_sm3" "$c_cz"
rm -rf "$dir/case"
