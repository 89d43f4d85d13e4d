//! `scan` and `link` on cases built from the crafted chats in `tests/data/analysis/`.

use super::common::{Env, assert_ok, data};
use std::path::{Path, PathBuf};

fn chat(name: &str) -> String {
    data()
        .join("analysis")
        .join(name)
        .to_str()
        .expect("utf8")
        .to_owned()
}

fn preserve(env: &Env, case: &str, file: &str, id: &str, victim: &str) -> PathBuf {
    let dir = env.path(case);
    let out = env.run(&[
        "preserve",
        &chat(file),
        "--out",
        dir.to_str().expect("utf8"),
        "--case-id",
        id,
        "--owner",
        victim,
        "--tz",
        "Asia/Shanghai",
    ]);
    assert_ok(&out);
    dir
}

/// The analysis folders of a case, with their files.
fn analysis_dirs(case: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(case.join("data/derived/analysis"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn preserve_seals_the_findings_and_scan_is_deterministic() {
    let env = Env::new();
    let case = preserve(&env, "a", "scam-chat-a.txt", "A-1", "张三");
    let dirs = analysis_dirs(&case);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let findings_path = dirs[0].join("findings.json");
    let bytes = std::fs::read(&findings_path).expect("findings.json sealed with the case");
    let f: serde_json::Value = serde_json::from_slice(&bytes).expect("findings JSON");
    assert_eq!(f["format"], "cunzheng-findings/1");
    assert_eq!(f["case_id"], "A-1");
    assert_eq!(f["counts"]["messages"], 8);
    // The card the scammer gave, with its issuer; the QQ number by context; the link.
    let ids = f["identifiers"].as_array().expect("identifiers");
    let has =
        |kind: &str, value: &str| ids.iter().any(|i| i["kind"] == kind && i["value"] == value);
    assert!(has("bank_card", "6222020200112233446"), "{ids:#?}");
    assert!(has("qq", "123456789"));
    assert!(has("mobile_cn", "+8613812345678"));
    assert!(has("url", "https://jd-jr.top/refund"));
    // Money: 5000 + 30000 paid, 1000 returned.
    let loss = &f["money"]["loss"][0];
    assert_eq!(
        (
            loss["currency"].as_str(),
            loss["out"].as_str(),
            loss["in"].as_str(),
            loss["loss"].as_str()
        ),
        (
            Some("CNY"),
            Some("35000.00"),
            Some("1000.00"),
            Some("34000.00")
        )
    );
    let acct = &f["money"]["by_account"][0];
    assert_eq!(acct["key"], "bank_card:6222020200112233446");
    // The two-week silence is a gap.
    assert_eq!(f["counts"]["timeline"]["gap"], 1);
    // The conversation is scored, typed, and its cues point back to messages.
    let conv = &f["scam"]["conversations"][0];
    assert!(conv["scam"].as_f64().expect("score") > 0.9, "{conv:#}");
    assert_eq!(conv["type"], "customer_service", "{conv:#}");
    let cue = conv["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["text"] == "安全账户")
        .expect("the 安全账户 cue");
    assert_eq!(cue["source"], "rule");
    assert!(cue["message"].is_string() && cue["provenance"]["item_sha256"].is_string());
    // Every entity line points back to its original.
    let ents = std::fs::read_to_string(dirs[0].join("entities.jsonl")).expect("entities");
    let first: serde_json::Value =
        serde_json::from_str(ents.lines().next().expect("a line")).expect("json");
    assert_eq!(first["item_sha256"].as_str().map(str::len), Some(64));
    assert!(first["message"].is_string() && first["location"].is_string());
    // Sealed: the manifest lists the findings, and verify is intact.
    let manifest = std::fs::read_to_string(case.join("manifest-sha256.txt")).expect("manifest");
    assert!(manifest.contains("/findings.json") && manifest.contains("/entities.jsonl"));
    assert_ok(&env.run(&["verify", case.to_str().expect("utf8")]));

    // Scanning again changes nothing: same folder, same bytes, nothing staged.
    let out = env.run(&[
        "--json",
        "scan",
        case.to_str().expect("utf8"),
        "--victim",
        "张三",
    ]);
    assert_ok(&out);
    let v = json(&out);
    assert_eq!(v["staged"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(analysis_dirs(&case), dirs);
    assert_eq!(std::fs::read(&findings_path).expect("findings"), bytes);
    let out = env.run(&["seal", case.to_str().expect("utf8")]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing new to seal"));
}

#[test]
fn scan_after_add_stages_new_findings_for_the_next_seal() {
    let env = Env::new();
    let case = preserve(&env, "a", "scam-chat-a.txt", "A-1", "张三");
    let c = case.to_str().expect("utf8");
    assert_ok(&env.run(&["add", c, &chat("scam-chat-b.txt"), "--owner", "张三"]));
    let out = env.run(&["scan", c, "--victim", "张三"]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("12 messages in 2 file(s)"), "{text}");
    assert!(text.contains("staged"), "{text}");
    assert!(text.contains("tron"), "{text}");
    assert_ok(&env.run(&["seal", c]));
    assert_eq!(analysis_dirs(&case).len(), 2);
    assert_ok(&env.run(&["verify", c]));
    // The custody log records the analysis.
    let log = std::fs::read_to_string(case.join("cunzheng/custody.jsonl")).expect("log");
    assert!(log.contains("\"action\":\"analyze\""));
}

#[test]
fn link_lists_identifiers_shared_across_cases() {
    let env = Env::new();
    let a = preserve(&env, "a", "scam-chat-a.txt", "A-1", "张三");
    let b = preserve(&env, "b", "scam-chat-b.txt", "B-2", "王五");
    let out = env.run(&[
        "--json",
        "link",
        a.to_str().expect("utf8"),
        b.to_str().expect("utf8"),
    ]);
    assert_ok(&out);
    let v = json(&out);
    let shared = v["shared"].as_array().expect("shared");
    let kinds: Vec<(&str, &str)> = shared
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or_default(),
                s["value"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("bank_card", "6222020200112233446"),
            ("mobile_cn", "+8613812345678")
        ],
        "{v:#}"
    );
    let card = &shared[0];
    let cases: Vec<&str> = card["seen"]
        .as_array()
        .expect("seen")
        .iter()
        .map(|s| s["case_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(cases, vec!["A-1", "B-2"]);
    assert_eq!(card["seen"][0]["exhibit"], 1);
    // People get the same in words; one case alone shares nothing.
    let out = env.run(&["link", a.to_str().expect("utf8"), b.to_str().expect("utf8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bank_card 6222020200112233446 — in 2 cases"),
        "{text}"
    );
    assert!(text.contains("case A-1 exhibit 1 message"), "{text}");
    let out = env.run(&["link", a.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2), "link needs two cases");
}
