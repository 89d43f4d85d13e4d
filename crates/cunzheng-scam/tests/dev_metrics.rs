//! Recomputes the dev-split metrics from the embedded model and checks them against the
//! committed `model/metrics.json`. Needs the full datasets (shared/datasets); skips without.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_scam::{Classifier, data, eval};
use std::path::PathBuf;

const COMMITTED: &str = include_str!("../model/metrics.json");

fn datasets() -> PathBuf {
    match std::env::var_os("CUNZHENG_DATASETS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    }
}

#[test]
fn dev_metrics_match_the_committed_file() {
    let dir = datasets();
    if !dir.join("README.md").exists() {
        eprintln!(
            "SKIPPED: datasets not found at {} (set CUNZHENG_DATASETS); committed metrics not rechecked",
            dir.display()
        );
        return;
    }
    let (samples, missing) = data::load(&dir).unwrap();
    assert!(missing.is_empty(), "datasets missing: {missing:?}");
    let c = Classifier::builtin().unwrap();
    let got = eval::evaluate(&c, &samples);
    let want: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert!(
        got == want,
        "dev metrics differ from model/metrics.json; if the rules or model changed, rerun \
         `cargo run --release -p cunzheng-scam --bin cunzheng-scam-train -- ../shared/datasets \
         --out crates/cunzheng-scam/model/`\n--- got\n{}\n--- committed\n{}",
        serde_json::to_string_pretty(&got).unwrap(),
        COMMITTED
    );
}
