#!/usr/bin/env bash
# Runs one fuzz target for a fixed time on a shared machine and prints one Markdown table row:
#   target | seconds | executions | exec/s | cov | peak RSS MB | exit
# Build first (from the repository root):  RUSTC_BOOTSTRAP=1 cargo fuzz build -O -s none
# Usage: fuzz/run.sh TARGET [SECONDS]   (log in fuzz/logs/TARGET.log, crashes in fuzz/artifacts/TARGET/)
set -uo pipefail
cd "$(dirname "$0")"
t=$1
secs=${2:-180}
# Whole files (exports, databases, archives) may be large; one page, one record or one message
# need not be.
case $t in
    sqlite_record | sqlite_cipher_page | entities | scam_classify | checkpoint_note | seal_statement | \
        bag_info | inclusion_proof | acquisition_record | time_stamp_response)
        max_len=65536 ;;
    *) max_len=1048576 ;;
esac
# Seeds: the target's own corpus (grown in place; hash-named files are git-ignored) plus
# read-only seeds from related formats.
extra=()
case $t in
    sqlite_pages) extra=(corpus/ios-sms-db corpus/android-mmssms-db corpus/wechat-android-db corpus/wechat-pc-db) ;;
    scam_classify) extra=(corpus/entities) ;;
esac
mkdir -p "corpus/$t" "artifacts/$t" logs
bin=target/x86_64-unknown-linux-gnu/release/$t
nice -n 19 "$bin" "corpus/$t" "${extra[@]}" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
rc=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*$')
echo "| $t | $secs | ${execs:-?} | ${eps:-?} | ${cov:-?} | ${rss:-?} | $rc |"
