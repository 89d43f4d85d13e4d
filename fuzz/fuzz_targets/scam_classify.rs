#![no_main]
//! The scam classifier on arbitrary text: as one message and as turns split at newlines.
//! Checks the verdict's invariants: probabilities in [0, 1], every reason's span slices its
//! own turn's text to the reported text.

use cunzheng_scam::{Classifier, Input, Turn};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();

fn check(input: &Input, c: &Classifier) {
    let v = c.classify(input);
    assert!((0.0..=1.0).contains(&v.scam), "scam {}", v.scam);
    assert!((0.0..=1.0).contains(&v.model_scam) && (0.0..=1.0).contains(&v.rules_scam));
    let texts = input.texts();
    for r in &v.reasons {
        let t = match r.turn {
            Some(i) => texts[i].1,
            None => texts[0].1,
        };
        assert_eq!(t.get(r.span.clone()), Some(r.text.as_str()));
    }
}

fuzz_target!(|data: &[u8]| {
    let c = CLASSIFIER.get_or_init(|| Classifier::builtin().expect("built-in classifier"));
    let text = String::from_utf8_lossy(data);
    check(&Input::Text(text.to_string()), c);
    let turns = text
        .split('\n')
        .map(|t| Turn {
            speaker: String::new(),
            text: t.to_string(),
        })
        .collect();
    check(&Input::Turns(turns), c);
});
