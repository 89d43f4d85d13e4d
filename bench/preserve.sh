#!/usr/bin/env bash
# Benchmark: `cunzheng preserve` (copy + SHA-256 + SM3 + seal) against `sha256sum` and
# `openssl dgst -sm3` over the same files, in the same run. Prints times and ratios.
#
#   bash bench/preserve.sh [SIZE_MB]      (default 2048: a 2 GB mix of many small and a few large files)
#
# Files are made once under $BENCH_DIR (default /tmp/cunzheng-bench) and reused. The tools run
# in interleaved rounds (sha256sum, openssl, cp, preserve, then again), so that a change in the
# machine's speed during the run touches all of them alike; the first round warms the page
# cache and is not counted, then REPEAT rounds (default 3) are, and the median is reported.
#
# Where the copies go (the case, and `cp -r` for comparison):
#   default           $BENCH_DIR, on whatever file system that is.
#   BENCH_FS=ext4     a fresh ext4 file system (with its journal, as mkfs.ext4 makes it) in an
#                     image file under $BENCH_DIR, loop-mounted with direct I/O: a new evidence
#                     drive. Needs root. On this project's VM the root file system is ext4
#                     without a journal, where the kernel skips inodes freed in the last ~30 s
#                     when it creates files, so removing the last run's 22,600 copies made the
#                     next run's file creation several times slower (`cp -r` of the same 762 MB
#                     folder: 1.0 s, then 7.2 s right after); a fresh file system measures the
#                     tools instead of that history.
#   BENCH_DIR=/dev/shm/cunzheng-bench   inputs and copies in memory: the tools' own work
#                     without any disk.
# CUNZHENG_BIN=path uses an already built binary instead of building one.
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

out=$dir
if [ "${BENCH_FS:-}" = ext4 ]; then
    [ "$(id -u)" = 0 ] || { echo "BENCH_FS=ext4 needs root (mount)"; exit 2; }
    img="$dir/ext4-$size_mb.img"
    out="$dir/ext4-mnt"
    mkdir -p "$out"
    umount "$out" 2>/dev/null || true
    rm -f "$img"
    # Room for the case and the cp copy side by side, with slack.
    truncate -s "$(( (bytes * 3) / 1048576 + 1024 ))M" "$img"
    mkfs.ext4 -q -F "$img"
    loop=$(losetup -f --show --direct-io=on "$img")
    mount "$loop" "$out"
    trap 'umount "$out"; losetup -d "$loop"; rm -f "$img"' EXIT
    echo "copies on a fresh ext4 file system ($loop on $img)"
fi

run_sha256() { xargs -d '\n' sha256sum < "$list" > /dev/null; }
run_sm3() { xargs -d '\n' openssl dgst -sm3 < "$list" > /dev/null; }
# A plain durable copy: the floor for any tool that must keep a copy of the evidence.
run_cp() { cp -r "$input" "$out/cp" && sync -f "$out"; }
# --no-parse, --no-report: the target concerns hashing and copying; random test files hold no
# chats, and the report (a PDF listing every exhibit) is measured by bench/report.sh.
run_preserve() { "$bin" --quiet preserve --no-parse --no-report "$input" --out "$out/case" > /dev/null; }
# The last run's copies go before each timed run, and their removal reaches the disk first.
clean() { rm -rf "$out/cp" "$out/case"; sync -f "$out"; }

tools=(sha256 sm3 cp preserve)
declare -A times
for round in $(seq 0 "$repeat"); do
    for tool in "${tools[@]}"; do
        clean
        t0=$(date +%s.%N); "run_$tool"; t1=$(date +%s.%N)
        [ "$round" = 0 ] && continue   # warm-up
        times[$tool]+="$(echo "$t1 - $t0" | bc) "
    done
done
clean
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_sha=$(echo "${times[sha256]}" | median)
t_sm3=$(echo "${times[sm3]}" | median)
t_cp=$(echo "${times[cp]}" | median)
t_cz=$(echo "${times[preserve]}" | median)
for tool in "${tools[@]}"; do printf '  %-9s runs: %s\n' "$tool" "${times[$tool]}"; done
mbps() { echo "scale=0; $bytes / 1048576 / $1" | bc; }
printf '%-40s %8.2f s  %6s MB/s\n' "sha256sum" "$t_sha" "$(mbps "$t_sha")"
printf '%-40s %8.2f s  %6s MB/s\n' "openssl dgst -sm3" "$t_sm3" "$(mbps "$t_sm3")"
printf '%-40s %8.2f s  %6s MB/s\n' "cp -r + sync (copy only, no hashing)" "$t_cp" "$(mbps "$t_cp")"
printf '%-40s %8.2f s  %6s MB/s\n' "cunzheng preserve (copy+SHA-256+SM3+seal)" "$t_cz" "$(mbps "$t_cz")"
printf 'ratio cunzheng preserve / openssl dgst -sm3 = %.2f (target <= 1.00)\n' "$(echo "$t_cz / $t_sm3" | bc -l)"
printf 'ratio cunzheng preserve / sha256sum        = %.2f\n' "$(echo "$t_cz / $t_sha" | bc -l)"
printf 'ratio cunzheng preserve / cp -r + sync     = %.2f\n' "$(echo "$t_cz / $t_cp" | bc -l)"
# CPU seconds (user + system) of one run each: the share of the work that is computation, as
# opposed to waiting for the disk (preserve must write and sync a full copy).
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
c_sm3=$(cpu sh -c "xargs -d '\\n' openssl dgst -sm3 < '$list'")
clean
c_cz=$(cpu "$bin" --quiet preserve --no-parse --no-report "$input" --out "$out/case")
printf 'CPU seconds: openssl dgst -sm3 %s, cunzheng preserve %s\n' "$c_sm3" "$c_cz"
clean
