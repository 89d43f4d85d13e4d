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
    #[test]
    fn fuzz_regressions_replay() {
        let n = cunzheng_testkit::replay_all(&[
            ("bagit_manifest", super::bagit_manifest),
            ("bag_info", super::bag_info),
            ("custody_log", super::custody_log),
            ("seal_statement", super::seal_statement),
            ("inclusion_proof", super::inclusion_proof),
        ]);
        // At least the carriage-return statement found before this test existed.
        assert!(n >= 1, "fuzz/regressions not found");
    }
}
