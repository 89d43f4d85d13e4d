#!/usr/bin/env bash
# Benchmark: `cunzheng parse --format whatsapp-txt --json` against the PyPI package whatstk
# (`df_from_whatsapp`) and the npm package whatsapp-chat-parser (`parseString`) on the same
# generated WhatsApp export, in the same run. Prints times, messages/s and ratios.
#
#   bash bench/whatsapp.sh [MESSAGES]      (default 1000000)
#
# The export is made once under $BENCH_DIR (default /tmp/cunzheng-bench) and reused; whatstk is
# installed into a venv there and whatsapp-chat-parser into a temp folder. Each tool runs once
# to warm the page cache (and to check the message count), then REPEAT times (default 3;
# whatstk WHATSTK_REPEAT times, default 1, as one run takes about a minute); the median is
# reported. Targets: cunzheng >= 20x whatstk and >= 3x whatsapp-chat-parser. cunzheng parses a
# large file in chunks on every core (the peers use one): its CPU time and its wall time on
# one thread (CUNZHENG_THREADS=1) are printed too. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
repeat=${REPEAT:-3}
repeat_slow=${WHATSTK_REPEAT:-1}
mkdir -p "$dir"
chat="$dir/whatsapp-$n.txt"

if [ ! -f "$chat" ]; then
    echo "generating a $n-message WhatsApp export in $chat ..."
    python3 - "$chat" "$n" <<'PY'
import datetime, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261128)
names = ["Alice Smith", "Bob", "+86 138 0013 8000", "Zhang Wei 张伟", "Maria José", "Dr. Feather"]
words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
         "ut labore et dolore magna aliqua 转账 五万 明天 银行 账户 ok 👍 https://example.com/x").split()
# Starts on 1 January: the first twelve days leave day/month ambiguous until the 13th.
t = datetime.datetime(2021, 1, 1, 8, 0)
with open(out + ".tmp", "w", encoding="utf-8", newline="\n") as f:
    f.write(f"{t:%d/%m/%Y, %H:%M} - Messages and calls are end-to-end encrypted. No one outside "
            "of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n")
    for i in range(n - 1):
        t += datetime.timedelta(seconds=rng.randint(1, 120))
        r = rng.random()
        if r < 0.005:
            f.write(f"{t:%d/%m/%Y, %H:%M} - {rng.choice(names)} added {rng.choice(names)}\n")
            continue
        if r < 0.03:
            body = "<Media omitted>"
        elif r < 0.035:
            body = f"IMG-{t:%Y%m%d}-WA{i % 10000:04d}.jpg (file attached)"
        elif r < 0.04:
            body = "This message was deleted"
        else:
            body = " ".join(rng.choice(words) for _ in range(rng.randint(2, 14)))
            if r > 0.96:  # a message over two or three lines
                for _ in range(rng.randint(1, 2)):
                    body += "\n" + " ".join(rng.choice(words) for _ in range(rng.randint(2, 10)))
            elif r > 0.95:
                body += " <This message was edited>"
        f.write(f"{t:%d/%m/%Y, %H:%M} - {rng.choice(names)}: {body}\n")
import os
os.replace(out + ".tmp", out)
PY
fi

echo "building cunzheng (release) ..."
cargo build --release -q -p cunzheng
bin=${CARGO_TARGET_DIR:-target}/release/cunzheng

# whatstk, from PyPI, in its own venv.
venv="$dir/venv-whatstk"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import whatstk" 2>/dev/null; then
    echo "installing whatstk into $venv ..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q whatstk
fi
cat > "$dir/run_whatstk.py" <<'PY'
import sys
from whatstk.whatsapp.parser import df_from_whatsapp
# max_size=None: whatstk refuses files over 50 MB by default.
df = df_from_whatsapp(sys.argv[1], max_size=None)
if len(sys.argv) > 2:
    print(len(df))
PY

# whatsapp-chat-parser, from npm, in a temp folder.
node_dir=$(mktemp -d)
trap 'rm -rf "$node_dir"' EXIT
echo "installing whatsapp-chat-parser into $node_dir ..."
(cd "$node_dir" && npm init -y > /dev/null && npm install --silent --no-audit --no-fund whatsapp-chat-parser@4 > /dev/null)
cat > "$node_dir/parse.js" <<'JS'
const fs = require('fs');
const { parseString } = require('whatsapp-chat-parser');
const messages = parseString(fs.readFileSync(process.argv[2], 'utf8'), { parseAttachments: true });
if (process.argv[3]) console.log(messages.length);
JS

bytes=$(stat -c %s "$chat")
echo "input: $chat, $n messages, $bytes bytes; $(nproc) cores"
echo "versions: $("$bin" --version 2>/dev/null || echo cunzheng), whatstk $("$venv/bin/python" -c 'import whatstk; print(whatstk.__version__)'), whatsapp-chat-parser $(node -p "require('$node_dir/node_modules/whatsapp-chat-parser/package.json').version"), node $(node --version), $("$venv/bin/python" --version)"

# Timed runs drop stderr (the same zone warning each time; the warm-up run shows it).
run_cz() { "$bin" parse --format whatsapp-txt --json "$chat" > /dev/null 2>&1; }
run_node() { node --max-old-space-size=8192 "$node_dir/parse.js" "$chat"; }
run_whatstk() { "$venv/bin/python" "$dir/run_whatstk.py" "$chat"; }

# Warm-up runs that also report how many messages each tool found.
count_cz=$("$bin" parse --format whatsapp-txt --json "$chat" | tail -n 1 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["messages"])')
count_node=$(node --max-old-space-size=8192 "$node_dir/parse.js" "$chat" count)
count_whatstk=$("$venv/bin/python" "$dir/run_whatstk.py" "$chat" count)
echo "messages found: cunzheng $count_cz, whatsapp-chat-parser $count_node, whatstk $count_whatstk"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() {
    local fn=$1 times=$2 t0 t1
    for _ in $(seq "$times"); do
        t0=$(date +%s.%N); "$fn"; t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc
    done | median
}

t_cz=$(time_it run_cz "$repeat")
t_node=$(time_it run_node "$repeat")
t_whatstk=$(time_it run_whatstk "$repeat_slow")
rate() { echo "scale=0; $n / $1" | bc; }
# cunzheng parses in chunks on every core (CUNZHENG_THREADS=1: one thread); its CPU time, for
# comparison with the single-threaded peers.
cpu_cz=$( { TIMEFORMAT='%U %S'; time run_cz; } 2>&1 | awk '{print $1 + $2}')
cpu_cz1=$( { TIMEFORMAT='%R'; time CUNZHENG_THREADS=1 run_cz; } 2>&1)
printf '%-48s %8.2f s  %9s messages/s\n' "cunzheng parse --format whatsapp-txt --json" "$t_cz" "$(rate "$t_cz")"
printf '%-48s %8.2f s  %9s messages/s\n' "whatsapp-chat-parser parseString (node)" "$t_node" "$(rate "$t_node")"
printf '%-48s %8.2f s  %9s messages/s\n' "whatstk df_from_whatsapp (python)" "$t_whatstk" "$(rate "$t_whatstk")"
printf 'cunzheng CPU time (user+sys) %.2f s on %s cores; on one thread: %.2f s wall\n' "$cpu_cz" "$(nproc)" "$cpu_cz1"
printf 'ratio whatstk / cunzheng              = %6.1fx (target >= 20x)\n' "$(echo "$t_whatstk / $t_cz" | bc -l)"
printf 'ratio whatsapp-chat-parser / cunzheng = %6.1fx (target >= 3x)\n' "$(echo "$t_node / $t_cz" | bc -l)"
