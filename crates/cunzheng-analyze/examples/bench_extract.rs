//! Entity extraction throughput, single thread: builds N message bodies (default 1,000,000)
//! from the labelled real messages in `tests/data/analysis/labelled.jsonl`, interleaved with
//! generated entity-rich lines, then times `extract` over all of them and prints MB/s and
//! messages/s. Run through `bench/analyze.sh` (release build, pinned to one core).

use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/analysis/labelled.jsonl"
    );
    let real: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect();
    let templates = [
        "好的，已转5000元，请查收",
        "请把钱转到工行卡6222020200112233446，户名李四",
        "加我QQ：123456789 或微信 abc_12345 详聊",
        "客服电话13812345678，有问题随时联系",
        "平台地址 https://invest-usdt.vip/reg?code=8888 注册送88元",
        "USDT-TRC20 地址 TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t 充值200U",
        "今天晚上一起吃饭吗？",
        "收到，谢谢",
        "在吗",
        "明天上午十点开会，记得带材料",
    ];
    let mut bodies = Vec::with_capacity(n);
    let mut i = 0usize;
    while bodies.len() < n {
        // Two of every three lines are real messages, one a template.
        let s = if i % 3 == 2 || real.is_empty() {
            templates[i % templates.len()].to_owned()
        } else {
            real[i % real.len()].clone()
        };
        bodies.push(s);
        i += 1;
    }
    let bytes: usize = bodies.iter().map(String::len).sum();
    let start = Instant::now();
    let mut found = 0usize;
    let mut buf = Vec::new();
    for b in &bodies {
        buf.clear();
        cunzheng_analyze::entity::extract_into(b, &mut buf);
        found += buf.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "messages {n}  bytes {bytes}  entities {found}  seconds {secs:.3}  MB/s {:.1}  messages/s {:.0}",
        bytes as f64 / 1e6 / secs,
        n as f64 / secs
    );
}
