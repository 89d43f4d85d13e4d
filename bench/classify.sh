#!/usr/bin/env bash
# Benchmark: scam scoring throughput of `cunzheng classify --json` (rules + model + reasons,
# JSON in and out) on MESSAGES single messages, on one core (taskset -c 0 when available).
#
#   bash bench/classify.sh [MESSAGES] [DATASETS_DIR]   (defaults 1000000, ../shared/datasets)
#
# The messages are the texts of the labelled datasets (every turn of a dialogue is one message),
# repeated in file order until MESSAGES lines; the file is made once under $BENCH_DIR (default
# /tmp/cunzheng-bench). REPEAT runs (default 1); prints the median CPU time of the process
# (user + sys: one core's throughput even on a shared machine), messages/s and MB/s of message
# text (UTF-8 bytes of the `text` fields) and of JSON input.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
datasets=${2:-../shared/datasets}
dir=${BENCH_DIR:-/tmp/cunzheng-bench}
repeat=${REPEAT:-1}
mkdir -p "$dir"
input="$dir/classify-$n.jsonl"

if [ ! -f "$input" ]; then
    echo "generating $n messages from $datasets into $input ..."
    python3 - "$datasets" "$input" "$n" <<'PY'
import json, os, re, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = ["uci_sms_spam/uci_sms_spam.trainval.jsonl",
         "bothbosu_scam_dialogues/single_agent.trainval.jsonl",
         "teleantifraud_multiagent_zh/dialogues.trainval.jsonl",
         "text_antispam_zh/msglog.trainval.jsonl"]
texts = []
for f in files:
    for line in open(os.path.join(src, f), encoding="utf-8"):
        r = json.loads(line)
        if "turns" in r:
            texts += [t["text"] for t in r["turns"]]
        elif "dialogue" in r:
            texts += [t.strip() for t in re.split(r"(?:Suspect|Innocent):", r["dialogue"]) if t.strip()]
        else:
            texts.append(r["text"])
text_bytes = 0
with open(out + ".tmp", "w", encoding="utf-8") as w:
    for i in range(n):
        t = texts[i % len(texts)]
        text_bytes += len(t.encode("utf-8"))
        w.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
with open(out + ".textbytes", "w") as w:
    w.write(str(text_bytes))
os.replace(out + ".tmp", out)
PY
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cunzheng
bin="$CARGO_TARGET_DIR/release/cunzheng"
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

text_bytes=$(cat "$input.textbytes")
input_bytes=$(stat -c %s "$input")
out="$dir/classify-$n.out.jsonl"

# CPU seconds (user + sys) of the one process, not wall time: the throughput of one core even
# when the machine is shared. Wall time is printed too.
times=()
for r in $(seq "$repeat"); do
    /usr/bin/time -f "%e %U %S" -o "$dir/classify.time" "${pin[@]}" "$bin" classify --json < "$input" > "$out"
    lines=$(wc -l < "$out")
    [ "$lines" -eq "$n" ] || { echo "expected $n verdicts, got $lines" >&2; exit 1; }
    read -r wall user sys < "$dir/classify.time"
    times+=("$(echo "$user + $sys" | bc -l)")
    echo "run $r: wall ${wall} s, cpu $(echo "$user + $sys" | bc -l) s"
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (repeat + 1) / 2 ))p")
python3 - "$n" "$text_bytes" "$input_bytes" "$median" "$(stat -c %s "$out")" <<'PY'
import sys
n, tb, ib, t, ob = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"cunzheng classify --json, {n} messages, one core; median CPU {t:.2f} s")
print(f"{n / t:,.0f} messages/s, {tb / t / 1e6:.1f} MB/s of message text ({tb / 1e6:.1f} MB), "
      f"{ib / t / 1e6:.1f} MB/s of JSON input ({ib / 1e6:.1f} MB); output {ob / 1e6:.0f} MB")
PY
