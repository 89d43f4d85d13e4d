//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes, must never panic,
//! and asserts round trips where a writer exists.

use crate::bagit::{BagInfo, Manifest};
use crate::custody::check_log;
use crate::proof::InclusionProof;
use crate::statement::SealStatement;

/// Manifest parsing; a parsed manifest written out parses to the same entries.
pub fn bagit_manifest(data: &[u8]) {
    if let Ok(m) = Manifest::parse(data, 256) {
        let again = Manifest::parse(m.to_text().as_bytes(), 256).expect("written manifest parses");
        assert_eq!(again, m);
    }
}

/// `bag-info.txt` parsing; written tags parse back.
pub fn bag_info(data: &[u8]) {
    if let Ok(info) = BagInfo::parse(data) {
        let again = BagInfo::parse(info.to_text().as_bytes()).expect("written bag-info parses");
        assert_eq!(again.tags.len(), info.tags.len());
    }
}

/// Custody log checking with no keys: every line is reported, nothing panics.
pub fn custody_log(data: &[u8]) {
    let checked = check_log(data, &|_| None);
    assert!(checked.events.len() <= checked.lines.len());
}

/// Statement parsing; a parsed statement written out parses to itself.
pub fn seal_statement(data: &[u8]) {
    if let Ok(s) = SealStatement::parse(data) {
        let again = SealStatement::parse(s.to_text().as_bytes()).expect("written statement parses");
        assert_eq!(again, s);
    }
}

/// Proof documents: parse and check; only errors, never panics.
pub fn inclusion_proof(data: &[u8]) {
    if let Ok(p) = serde_json::from_slice::<InclusionProof>(data) {
        let _ = p.check(Some(data));
    }
}

#[cfg(test)]
mod regressions {
    #![allow(clippy::unwrap_used)]

    /// Feeds every file in `fuzz/regressions/<target>/` (inputs `cargo fuzz` once crashed on) to
    /// the fuzz target's entry point `f`, so every `cargo test` replays them without cargo-fuzz.
    fn replay(target: &str, f: fn(&[u8])) -> usize {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions")
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return 0;
        };
        let mut n = 0;
        for e in entries {
            let path = e.unwrap().path();
            println!("replaying {}", path.display());
            f(&std::fs::read(&path).unwrap());
            n += 1;
        }
        n
    }

    #[test]
    fn fuzz_regressions_replay() {
        let mut n = 0;
        n += replay("bagit_manifest", super::bagit_manifest);
        n += replay("bag_info", super::bag_info);
        n += replay("custody_log", super::custody_log);
        n += replay("seal_statement", super::seal_statement);
        n += replay("inclusion_proof", super::inclusion_proof);
        // At least the carriage-return statement found before this test existed.
        assert!(n >= 1, "fuzz/regressions not found");
        println!("replayed {n} inputs");
    }
}
