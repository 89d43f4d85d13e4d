//! Scam typing on real-shaped chats: the bundled example through `parse` + `classify` and
//! through `preserve` + `scan`; the legitimate chats of `../shared/corpus` stay below 0.5.

use super::common::*;
use cunzheng_scam::{Classifier, Input, Turn};
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scam-chat")
}

/// `cunzheng parse FILE --json`: the messages' (sender, body) in order.
fn parsed_turns(env: &Env, file: &Path) -> Vec<serde_json::Value> {
    let out = env.run(&[
        "parse",
        "--json",
        "--tz",
        "Asia/Shanghai",
        file.to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .filter(|v| {
            v["record"] == "message" && v["body"].as_str().is_some_and(|b| !b.trim().is_empty())
        })
        .map(|m| {
            serde_json::json!({
                "speaker": m["sender"]["name"].as_str().unwrap_or(""),
                "text": m["body"],
            })
        })
        .collect()
}

#[test]
fn bundled_example_is_an_investment_scam_through_classify() {
    let env = Env::new();
    let turns = parsed_turns(&env, &example().join("wechat-export.txt"));
    assert!(turns.len() >= 8, "{turns:?}");
    let line = serde_json::json!({"id": "example", "turns": turns}).to_string();
    let out = env.run_with_stdin(&["classify", "--json"], &line);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["scam"].as_f64().expect("scam") >= 0.5, "{v:#}");
    assert_eq!(v["type"], "investment", "{v:#}");
    assert_eq!(v["type_zh"], "虚假投资理财");
    // The cues that named it are investment cues.
    let reasons = v["reasons"].as_array().expect("reasons");
    assert!(
        reasons
            .iter()
            .any(|r| r["source"] == "rule" && r["type"] == "investment"),
        "{v:#}"
    );
}

#[test]
fn bundled_example_is_typed_by_scan_and_the_bank_sms_is_a_notice() {
    let env = Env::new();
    let case = env.path("case");
    assert_ok(&env.run(&[
        "preserve",
        example().to_str().expect("utf8"),
        "--out",
        case.to_str().expect("utf8"),
        "--tz",
        "Asia/Shanghai",
    ]));
    let out = env.run(&["--json", "scan", case.to_str().expect("utf8")]);
    assert_ok(&out);
    let dir = std::fs::read_dir(case.join("data/derived/analysis"))
        .expect("analysis")
        .flatten()
        .map(|e| e.path())
        .max()
        .expect("an analysis folder");
    let f: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("findings.json")).expect("findings"))
            .expect("json");
    let convs = f["scam"]["conversations"]
        .as_array()
        .expect("conversations");
    let chat = convs
        .iter()
        .find(|c| c["messages"].as_u64().unwrap_or(0) >= 8)
        .expect("the WeChat conversation");
    assert_eq!(chat["type"], "investment", "{chat:#}");
    assert!(chat["scam"].as_f64().expect("scam") >= 0.5);
    // The bank's own transfer notice (SMS from 95500) is not evidence of anything.
    let bank = convs
        .iter()
        .find(|c| {
            c["reasons"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x["id"] == "notice.bank_transaction"))
        })
        .expect("the bank SMS conversation");
    assert!(bank["scam"].as_f64().expect("scam") < 0.5, "{bank:#}");
}

/// Conversations of every file in `dir` (recursively) that a parser recognises.
fn corpus_conversations(dir: &Path) -> Vec<(String, Vec<Turn>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(input) = cunzheng_sources::Input::open(&f) else {
            continue;
        };
        let mut sink = cunzheng_sources::Collect::default();
        let opts = cunzheng_sources::Options::default();
        if cunzheng_sources::parse(&input, None, &opts, &mut sink).is_err() {
            continue;
        }
        let mut order: Vec<String> = Vec::new();
        let mut by: std::collections::HashMap<String, Vec<Turn>> = Default::default();
        for m in sink.messages {
            if m.body.trim().is_empty() {
                continue;
            }
            if !by.contains_key(&m.conversation) {
                order.push(m.conversation.clone());
            }
            by.entry(m.conversation.clone()).or_default().push(Turn {
                speaker: m.sender.name.clone().unwrap_or_default(),
                text: m.body,
            });
        }
        let rel = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        for c in order {
            if let Some(turns) = by.remove(&c) {
                out.push((format!("{rel} #{c}"), turns));
            }
        }
    }
    out
}

/// The shared corpus holds sample exports of ordinary chats (SOURCES.md: test fixtures and
/// demo exports, none of them a scam): every conversation is a legitimate one, so each one
/// called a scam is a false positive. Prints the rate with `-- --nocapture`.
#[test]
fn shared_corpus_chats_are_not_called_scams() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !dir.join("SOURCES.md").is_file() {
        eprintln!("SKIPPED: ../shared/corpus not present; the false-positive rate is not measured");
        return;
    }
    let c = Classifier::builtin().expect("classifier");
    let convs = corpus_conversations(&dir);
    assert!(convs.len() >= 40, "{}", convs.len());
    let mut alarms = Vec::new();
    for (name, turns) in &convs {
        let v = c.classify(&Input::Turns(turns.clone()));
        if v.scam >= 0.5 {
            alarms.push(format!("{name}: {:.3} {:?}", v.scam, v.scam_type));
        }
    }
    let rate = alarms.len() as f64 / convs.len() as f64;
    println!(
        "shared corpus: {} conversations, {} called scams (false-positive rate {rate:.3})\n{}",
        convs.len(),
        alarms.len(),
        alarms.join("\n")
    );
    // Measured 20 of 93 with rules 2026.12.3 (and with 2026.12.2 before them): all are parser
    // fixtures in English or placeholder text (lorem ipsum, "Body text 1", MIME test bodies)
    // that the n-gram model, trained on UK SMS spam, finds spam-like; no rule fires on them.
    // A guard against getting worse, not a target.
    assert!(rate <= 0.22, "{alarms:#?}");
}
