#!/usr/bin/env bash
# Benchmark: `cunzheng parse --format telegram-json --json` on generated Telegram Desktop
# account exports (result.json), a small one and a ~1 GB one. Prints messages/s and max RSS.
# The parser streams the file one message at a time, so max RSS must stay far below the file
# size (requirement: < 300 MB for 1 GB).
#
#   bash bench/telegram.sh [BIG_MB] [SMALL_MB]     (defaults 1024 and 64)
#
# Files are made once under $BENCH_DIR (default /tmp/cunzheng-bench) and reused. The timed run
# includes what `cunzheng parse` always does first: SHA-256 of the file, for provenance.
set -euo pipefail
cd "$(dirname "$0")/.."
big_mb=${1:-1024}
small_mb=${2:-64}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
mkdir -p "$dir"

gen() { # gen SIZE_MB FILE: writes FILE and FILE.count (messages written)
    python3 - "$1" "$2" <<'PY'
import json, random, sys
size, path = int(sys.argv[1]) << 20, sys.argv[2]
rng = random.Random(20261128)
words = ("转账 安全账户 保本 收益 理财 客服 验证码 银行卡 hello ok thanks tomorrow meeting "
         "invest платеж deposit wallet USDT 50000 元 today please send the code").split()
people = [(f"user{100000 + i}", n) for i, n in enumerate(
    ["Li Wei", "Zhang San", "王芳", "Ivan Petrov", "Support Team", "Chen Jing", "Anna"])]
n = 0
with open(path, "w", encoding="utf-8") as f:
    f.write('{\n "about": "Here is the data you requested.",\n')
    f.write(' "personal_information": {"user_id": 100000, "first_name": "Li", "last_name": "Wei", '
            '"phone_number": "+86 138 0000 0000"},\n')
    f.write(' "contacts": {"about": "x", "list": [\n')
    f.write(",\n".join(
        json.dumps({"user_id": int(u[4:]), "first_name": nm, "last_name": "", "phone_number":
                    f"+86 139 0000 {i:04d}", "date": "2023-01-01T00:00:00",
                    "date_unixtime": "1672502400"}, ensure_ascii=False)
        for i, (u, nm) in enumerate(people)))
    f.write('\n ]},\n "chats": {"about": "x", "list": [\n')
    chat = 0
    t = 1_600_000_000
    while f.tell() < size:
        if chat:
            f.write(",\n")
        f.write(f'  {{"name": "Chat {chat}", "type": "private_supergroup", "id": {900000 + chat}, '
                '"messages": [\n')
        for i in range(20000):
            t += rng.randint(1, 120)
            uid, name = rng.choice(people)
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
            m = {"id": i + 1, "type": "message",
                 "date": "2023-01-01T00:00:00", "date_unixtime": str(t),
                 "from": name, "from_id": uid}
            r = rng.random()
            if r < 0.05:
                m = {"id": i + 1, "type": "service", "date": "2023-01-01T00:00:00",
                     "date_unixtime": str(t), "actor": name, "actor_id": uid,
                     "action": "phone_call", "duration_seconds": rng.randint(1, 900),
                     "discard_reason": "hangup", "text": "", "text_entities": []}
            elif r < 0.15:
                m.update(photo=f"photos/photo_{i}@01-01-2023_00-00-00.jpg",
                         photo_file_size=rng.randint(10000, 900000), width=1280, height=960,
                         text="", text_entities=[])
            elif r < 0.25:
                parts = [text + " ", {"type": "link", "text": "https://example.com/p/%d" % i}]
                m.update(text=parts, text_entities=[{"type": "plain", "text": text + " "},
                                                    {"type": "link", "text": parts[1]["text"]}])
            else:
                m.update(text=text, text_entities=[{"type": "plain", "text": text}])
            if r > 0.9:
                m["reply_to_message_id"] = max(1, i - rng.randint(1, 50))
            if r > 0.97:
                m["edited"] = "2023-01-01T00:00:00"
                m["edited_unixtime"] = str(t + 60)
            f.write((",\n" if i else "") + "   " + json.dumps(m, ensure_ascii=False))
            n += 1
        f.write("\n  ]}")
        chat += 1
    f.write("\n ]}\n}\n")
with open(path + ".count", "w") as c:
    c.write(str(n))
PY
}

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cunzheng
bin=$CARGO_TARGET_DIR/release/cunzheng
echo "$(nproc) cores; $(uname -sr)"
for mb in "$small_mb" "$big_mb"; do
    file="$dir/telegram-$mb.json"
    if [ ! -f "$file.count" ]; then
        echo "generating $file ..."
        gen "$mb" "$file"
    fi
    msgs=$(cat "$file.count")
    bytes=$(stat -c %s "$file")
    cat "$file" > /dev/null # warm the page cache
    log="$dir/time-$mb.txt"
    /usr/bin/time -v "$bin" parse --format telegram-json --json "$file" > /dev/null 2> "$log"
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$log")
    # Wall time depends on what else runs on the machine; CPU time (user + system) less so.
    awk -v m="$msgs" -v b="$bytes" -v s="$secs" -v c="$cpu" -v r="$rss_kb" 'BEGIN {
        printf "%d MB file: %d bytes, %d messages; wall %.1f s = %.0f messages/s (%.1f MB/s); CPU %.1f s = %.0f messages/CPU-s; max RSS %.1f MB\n",
            int(b/1048576), b, m, s, m/s, b/1048576/s, c, m/c, r/1024 }'
    if [ "$rss_kb" -ge $((300 * 1024)) ]; then
        echo "FAIL: max RSS ${rss_kb} kB >= 300 MB" >&2
        exit 1
    fi
done
