#!/usr/bin/env bash
# Benchmark: `cunzheng recover DB --json > /dev/null` (release build) on a 1 GB database with
# 1M deleted rows. Prints the time, MB/s of database read and rows recovered.
#
#   bash bench/sqlite-recover.sh [ROWS]      (default 2000000; every other row is deleted)
#
# The database (WeChat-like `message` table, ~480-byte rows, 4096-byte pages, rollback
# journal, secure_delete off) is built once with python3's sqlite3 module under $BENCH_DIR
# (default /tmp/cunzheng-bench) and reused. One warm-up run counts the recovered rows (and
# fills the page cache); then REPEAT timed runs (default 1) to /dev/null; the median time and
# the largest peak RSS are shown.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000000}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
repeat=${REPEAT:-1}
mkdir -p "$dir"
db="$dir/recover-$n.db"

if [ ! -f "$db" ]; then
    echo "building $db ($n rows, deleting every other one) ..."
    python3 - "$db" "$n" <<'PY'
import random, sqlite3, sys, os
out, n = sys.argv[1], int(sys.argv[2])
tmp = out + ".tmp"
if os.path.exists(tmp):
    os.remove(tmp)
rng = random.Random(20261206)
phrases = ["您好，我是客服，您的订单出现异常", "请把验证码发给我", "transfer to the safe account now",
           "投资平台收益稳定，每天返利", "好的", "明天见", "刷单任务完成后立即返款", "ok 👍",
           "公安局通知：您的账户涉嫌洗钱", "lunch?"]
c = sqlite3.connect(tmp)
c.executescript("""PRAGMA page_size=4096; PRAGMA journal_mode=DELETE; PRAGMA secure_delete=OFF;
PRAGMA synchronous=OFF;
CREATE TABLE message(msgId INTEGER PRIMARY KEY, msgSvrId INTEGER, type INT, isSend INT,
  createTime INTEGER, talker TEXT, content TEXT);""")
def rows():
    for i in range(1, n + 1):
        content = ""
        while len(content.encode()) < 380:
            content += rng.choice(phrases) + f" #{i} "
        yield (i, 6_000_000_000_000_000_000 + rng.randrange(1 << 40), rng.choice([1, 3, 34, 49]),
               rng.randrange(2), 1_700_000_000_000 + i * 1000, f"wxid_{rng.randrange(1 << 32):08x}",
               content)
c.executemany("INSERT INTO message VALUES (?,?,?,?,?,?,?)", rows())
c.commit()
c.execute("DELETE FROM message WHERE msgId % 2 = 0")
c.commit()
c.close()
os.rename(tmp, out)
PY
fi
size=$(stat -c %s "$db")
echo "database: $db, $((size / 1000000)) MB"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cunzheng
bin="$CARGO_TARGET_DIR/release/cunzheng"

rows=$("$bin" recover "$db" --json | wc -l)
echo "rows recovered: $rows (deleted: $((n / 2)))"
# Peak memory by GNU time (`/usr/bin/time -v`, Debian package `time`) when it is there.
timer=()
if [ -x /usr/bin/time ]; then
    timer=(/usr/bin/time -v -o "$dir/recover.time")
fi
times=()
rss=()
for _ in $(seq "$repeat"); do
    s=$(date +%s.%N)
    "${timer[@]}" "$bin" recover "$db" --json > /dev/null
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
    if [ ${#timer[@]} -gt 0 ]; then
        rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/recover.time")")
    fi
done
t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")
printf 'cunzheng recover --json: %.2f s, %.1f MB/s, %.0f rows/s\n' "$t" "$(echo "$size / 1000000 / $t" | bc -l)" "$(echo "$rows / $t" | bc -l)"
if [ ${#rss[@]} -gt 0 ]; then
    m=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
    printf 'peak RSS (max over runs, /usr/bin/time -v): %d MB\n' "$((m / 1024))"
fi
