//! The embedded model and rules on real dev rows (a sample in tests/data/scam).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_scam::data::{self, DATASETS, Split};
use cunzheng_scam::{Classifier, Input, Source, Turn};
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/scam/datasets")
}

#[test]
fn embedded_model_loads_and_names_its_versions() {
    let c = Classifier::builtin().unwrap();
    assert!(
        c.model_version().starts_with("lr-char1-3-"),
        "{}",
        c.model_version()
    );
    assert_eq!(
        c.rules_version(),
        cunzheng_scam::rules::Rules::builtin().unwrap().version()
    );
}

#[test]
fn scores_real_dev_rows() {
    let c = Classifier::builtin().unwrap();
    let (samples, missing) = data::load(&fixture()).unwrap();
    assert!(missing.is_empty(), "{missing:?}");
    let dev: Vec<_> = samples.iter().filter(|s| s.split == Split::Dev).collect();
    assert!(dev.len() >= 40);
    let mut wrong = Vec::new();
    for s in &dev {
        let v = c.classify(&s.input);
        if (v.scam >= 0.5) != s.label {
            wrong.push(format!(
                "{} {} scam={:.3}",
                DATASETS[s.dataset].name, s.id, v.scam
            ));
        }
        // Every reason slices its own text.
        let texts = s.input.texts();
        for r in &v.reasons {
            let t = match r.turn {
                Some(i) => texts[i].1,
                None => texts[0].1,
            };
            assert_eq!(&t[r.span.clone()], r.text, "{}", s.id);
        }
        if s.label {
            assert!(
                v.reasons.iter().any(|r| r.source == Source::Model),
                "{}",
                s.id
            );
        }
    }
    // The dev F1 of the model is 0.91-1.0 per dataset; on this sample at most one miss.
    assert!(wrong.len() <= 1, "{wrong:#?}");
}

#[test]
fn teleantifraud_types_on_dev_rows() {
    let c = Classifier::builtin().unwrap();
    let (samples, _) = data::load(&fixture()).unwrap();
    let typed: Vec<_> = samples
        .iter()
        .filter(|s| s.split == Split::Dev && s.dataset == 2 && s.scam_type.is_some())
        .collect();
    assert_eq!(typed.len(), 8, "one dev row per TeleAntiFraud fraud type");
    let right = typed
        .iter()
        .filter(|s| c.classify(&s.input).scam_type == s.scam_type)
        .count();
    // Dev macro-F1 over the 8 types is about 0.8; the types overlap (身份盗窃 vs 银行诈骗).
    assert!(right >= 5, "{right}/8");
}

#[test]
fn conversation_reasons_point_at_turns() {
    let c = Classifier::builtin().unwrap();
    let turns = vec![
        Turn {
            speaker: "对方".into(),
            text: "您好，我是市公安局的王警官，您的银行卡涉嫌洗钱案。".into(),
        },
        Turn {
            speaker: "我".into(),
            text: "啊？我没有啊".into(),
        },
        Turn {
            speaker: "对方".into(),
            text: "需要配合资金清查，请把资金转到安全账户，不要告诉任何人。".into(),
        },
    ];
    let v = c.classify(&Input::Turns(turns.clone()));
    assert!(v.scam > 0.9, "{}", v.scam);
    assert_eq!(v.scam_type, Some("authority"));
    let safe = v
        .reasons
        .iter()
        .find(|r| r.id == "zh.safe_account")
        .unwrap();
    assert_eq!(safe.turn, Some(2));
    assert_eq!(&turns[2].text[safe.span.clone()], "安全账户");
    assert!(v.type_scores[0].0 == "authority" && v.type_scores[0].1 > 0.5);
    // Reasons from the sequence rule cover both turns.
    let seq: Vec<_> = v
        .reasons
        .iter()
        .filter(|r| r.id == "seq.authority_then_transfer")
        .collect();
    assert_eq!(seq.len(), 2);
    assert_eq!(seq[0].turn, Some(0));

    let v = c.classify(&Input::Text("周末一起去爬山吧，我带水果。".into()));
    assert!(v.scam < 0.5, "{}", v.scam);
    assert_eq!(v.scam_type, None);
}

#[test]
fn task_scam_named_by_rules_where_the_model_has_no_data() {
    let c = Classifier::builtin().unwrap();
    let v = c.classify(&Input::Text(
        "宝妈兼职刷单，日结佣金，先垫付本金做任务，完成三单立即返利，提现需要先交保证金。".into(),
    ));
    assert!(v.scam > 0.9, "{}", v.scam);
    assert_eq!(v.scam_type, Some("task_rebate"));
}

/// The fuzz target's invariants on generated text (deterministic): probabilities in [0, 1],
/// every reason's span slices its turn's text to the reported text.
#[test]
fn verdict_invariants_on_generated_text() {
    let c = Classifier::builtin().unwrap();
    let pieces = [
        "安全账户",
        "资金清查",
        "刷单",
        "垫付",
        "xx",
        "X",
        "１２",
        "007",
        " ",
        "\n",
        "，",
        "。",
        "https://a.vip/x",
        "gift card",
        "Gift Cards",
        "remote access",
        "亲爱的",
        "投资平台",
        "验证码告诉我",
        "e\u{301}",
        "🙂",
        "\u{0}",
        "\u{FEFF}",
        "İ",
        "ß",
        "\u{10FFFF}",
        "ＸＸ",
        "中奖",
        "税",
        "loan",
        "sloane",
    ];
    for empty in [Input::Turns(Vec::new()), Input::Text(String::new())] {
        let v = c.classify(&empty);
        assert!(v.scam < 0.5 && v.scam_type.is_none() && v.reasons.is_empty());
    }
    let mut state: u64 = 0x1234_5678;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..1500 {
        let n = (next() % 40) as usize;
        let text: String = (0..n)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        let turns: Vec<Turn> = text
            .split('\n')
            .map(|t| Turn {
                speaker: String::new(),
                text: t.to_string(),
            })
            .collect();
        for input in [Input::Text(text.clone()), Input::Turns(turns)] {
            let v = c.classify(&input);
            assert!((0.0..=1.0).contains(&v.scam), "{text:?}");
            let texts = input.texts();
            for r in &v.reasons {
                let t = texts[r.turn.unwrap_or(0)].1;
                assert_eq!(t.get(r.span.clone()), Some(r.text.as_str()), "{text:?}");
            }
            let total: f64 = v.type_scores.iter().map(|(_, s)| s).sum();
            assert!(total <= 1.0 + 1e-9);
        }
    }
}
