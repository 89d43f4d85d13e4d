//! The training command is deterministic: same data, same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_scam::data;
use cunzheng_scam::model::Model;
use cunzheng_scam::rules::Rules;
use cunzheng_scam::train::{Config, train};
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/scam/datasets")
}

fn small() -> Config {
    Config {
        bits: 12,
        type_bits: 10,
        epochs: 3,
        ..Config::default()
    }
}

#[test]
fn training_twice_gives_the_same_bytes() {
    let (samples, _) = data::load(&fixture()).unwrap();
    let rules = Rules::builtin().unwrap();
    let a = train(&samples, &rules, &small());
    let b = train(&samples, &rules, &small());
    assert_eq!(a, b);
    let m = Model::from_bytes(&a).unwrap();
    assert_eq!(m.header.bits, 12);
    // Types of the fixture's train rows (TeleAntiFraud and BothBosu scam rows).
    assert!(!m.types.is_empty());
}

#[test]
fn training_command_writes_the_same_files_twice() {
    let bin = env!("CARGO_BIN_EXE_cunzheng-scam-train");
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for k in 0..2 {
        let out = dir.path().join(format!("run{k}"));
        let o = Command::new(bin)
            .arg(fixture())
            .args(["--epochs", "2", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(out);
    }
    for f in ["model.bin", "metrics.json", "METRICS.md"] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        let b = std::fs::read(outs[1].join(f)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between two runs");
    }
    // A missing folder is an error naming it, not a panic.
    let o = Command::new(bin)
        .args(["/nonexistent-datasets", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!o.status.success() || String::from_utf8_lossy(&o.stderr).contains("not found"));
}
