#!/usr/bin/env bash
# Benchmark: a 10,000-message case rendered to PDF/A by `cunzheng report` (typst in-process).
# Prints seconds, pages and pages per second.
#
#   bash bench/report.sh [MESSAGES]      (default 10000)
#
# The chat is generated (WeChat text-export layout, Chinese and Latin text, some transfers and
# phone numbers), preserved once with --no-report, then rendered REPEAT times (default 1).
# PROFILE=dev uses the debug build (dependencies such as typst are still built with
# opt-level 2 by the workspace profile) instead of building a release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
dir=${BENCH_DIR:-/tmp/cunzheng-bench-report}
repeat=${REPEAT:-1}
export CUNZHENG_HOME="$dir/home" CUNZHENG_EXAMINER=bench
# A throw-away benchmark key: no passphrase to type.
export CUNZHENG_KEY_UNENCRYPTED=1
profile=${PROFILE:-release}
cargo build --profile "$profile" -q -p cunzheng
bin=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")/cunzheng
rm -rf "$dir/case" && mkdir -p "$dir/in"
python3 - "$dir/in/chat-$n.txt" "$n" <<'PY'
import random, sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261206)
t = datetime.datetime(2024, 3, 1, 9, 0, 0)
lines = ["你好，我是客服，请问有什么可以帮您？", "我想咨询一下投资理财的事情。", "我们的平台保本高收益，每天收益3%。",
         "请先下载APP注册账号，然后充值。", "提现需要先缴纳20%的保证金。", "OK, I will transfer the money tomorrow morning.",
         "系统升级中，账户暂时冻结，请联系财务 13912345678。", "收款账户：6222 0000 0000 1234 567"]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        t += datetime.timedelta(seconds=rng.randint(5, 600))
        who = "客服小王(wxid_fake_kefu01)" if i % 2 == 0 else "我"
        body = rng.choice(lines)
        if i % 97 == 0:
            body = f"[转账] {rng.randint(100, 50000)}.00元 已转入"
        f.write(f"{t:%Y-%m-%d %H:%M:%S} {who}\n{body}\n\n")
PY
"$bin" -q preserve "$dir/in" --out "$dir/case" --no-report --tz Asia/Shanghai >/dev/null
best=""
for _ in $(seq "$repeat"); do
    start=$(date +%s.%N)
    out=$("$bin" report "$dir/case" --pdf "$dir/report.pdf")
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    best=${best:-$secs}
    if (( $(echo "$secs < $best" | bc -l) )); then best=$secs; fi
done
pages=$(echo "$out" | sed -n 's/.*(\([0-9]*\) pages.*/\1/p')
size=$(stat -c %s "$dir/report.pdf")
printf 'profile: %s\nmessages: %d\npages: %d\nPDF bytes: %d\nseconds: %.2f\npages/s: %.1f\nmessages/s: %.0f\n' \
    "$profile" "$n" "$pages" "$size" "$best" "$(echo "$pages / $best" | bc -l)" "$(echo "$n / $best" | bc -l)"
