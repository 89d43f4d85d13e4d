//! `cunzheng classify`: JSON lines in, verdicts out; bad lines reported by number.

use super::common::Env;

fn classify(env: &Env, args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let out = env.run_with_stdin(args, stdin);
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_lines_in_verdicts_out() {
    let env = Env::new();
    let input = [
        r#"{"id":"police","text":"您好，我是市公安局民警，您的银行卡涉嫌洗钱案，需要配合资金清查，请把钱转到安全账户。"}"#,
        r#"{"id":7,"turns":[{"speaker":"x","text":"Hi, this is Microsoft support, your computer is infected."},{"speaker":"me","text":"Oh no"},{"speaker":"x","text":"Install AnyDesk for remote access and pay with Google Play gift cards."}]}"#,
        r#"{"id":"dinner","text":"晚上回家吃饭吗？"}"#,
    ]
    .join("\n");
    let (code, out, err) = classify(&env, &["classify", "--json"], &input);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);

    let police = &lines[0];
    assert_eq!(police["id"], "police");
    assert!(police["scam"].as_f64().expect("scam") > 0.9);
    assert_eq!(police["type"], "authority");
    assert_eq!(police["type_zh"], "冒充公检法");
    let text =
        "您好，我是市公安局民警，您的银行卡涉嫌洗钱案，需要配合资金清查，请把钱转到安全账户。";
    let reasons = police["reasons"].as_array().expect("reasons");
    let safe = reasons
        .iter()
        .find(|r| r["id"] == "zh.safe_account")
        .expect("safe account cue");
    let (s, e) = (
        safe["start"].as_u64().expect("start") as usize,
        safe["end"].as_u64().expect("end") as usize,
    );
    assert_eq!(&text[s..e], "安全账户");
    assert_eq!(safe["source"], "rule");
    assert!(reasons.iter().any(|r| r["source"] == "model"));
    assert!(police["rules_version"].is_string() && police["model_version"].is_string());

    let tech = &lines[1];
    assert_eq!(tech["id"], 7);
    assert_eq!(tech["type"], "tech_support");
    let anydesk = tech["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["text"] == "AnyDesk")
        .expect("AnyDesk cue");
    assert_eq!(anydesk["turn"], 2);

    assert!(lines[2]["scam"].as_f64().expect("scam") < 0.5);
    assert!(lines[2]["type"].is_null());
}

#[test]
fn malformed_lines_are_reported_by_number_and_the_rest_goes_on() {
    let env = Env::new();
    let input = "{\"id\":1,\"text\":\"ok\"}\nnot json\n\n{\"text\":\"no id\"}\n{\"id\":5,\"text\":\"a\",\"turns\":[]}\n{\"id\":6,\"turns\":[{\"speaker\":\"a\",\"text\":\"刷单返利，先垫付\"}]}\n\u{0}\u{1}{";
    let (code, out, err) = classify(&env, &["classify", "--json"], input);
    assert_eq!(code, Some(3), "partial: {err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let errors: Vec<u64> = lines.iter().filter_map(|l| l["line"].as_u64()).collect();
    assert_eq!(errors, [2, 4, 5, 7]);
    assert!(
        lines
            .iter()
            .all(|l| l.get("error").is_none() || l["error"].is_string())
    );
    let ids: Vec<&serde_json::Value> = lines.iter().filter_map(|l| l.get("id")).collect();
    assert_eq!(ids, [&serde_json::json!(1), &serde_json::json!(6)]);

    // Text mode: one line per verdict, errors on stderr with their line number.
    let (code, out, err) = classify(&env, &["classify"], input);
    assert_eq!(code, Some(3));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(err.contains("line 2") && err.contains("line 7"), "{err}");
}
