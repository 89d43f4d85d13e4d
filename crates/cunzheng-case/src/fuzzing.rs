//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes and must never panic.

use crate::env::Actor;
use crate::ingest::{Limits, NoProgress};
use crate::{Case, NewCase};
use cunzheng_seal::keys::Ed25519Signer;

/// Acquisition record parsing.
pub fn acquisition_record(data: &[u8]) {
    let _ = crate::bag::parse_record("fuzz.jsonl", data);
}

/// Ingesting arbitrary bytes as an archive (small limits), then sealing and verifying: the case
/// must always verify, whatever the archive held.
pub fn zip_ingest(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let input = dir.path().join("input.zip");
    if std::fs::write(&input, data).is_err() {
        return;
    }
    let actor = Actor::new(
        "fuzz",
        Box::new(Ed25519Signer::dangerous_from_seed([1; 32])),
    );
    let Ok(case) = Case::create(&dir.path().join("case"), &NewCase::default(), &actor) else {
        return;
    };
    let limits = Limits {
        max_archive_depth: 3,
        max_entries: 1000,
        ratio: 20,
        slack: 4 << 20,
    };
    case.add(&[input], &actor, &limits, &NoProgress)
        .expect("add never fails on content");
    case.seal(&actor).expect("seal");
    let report = crate::verify::verify(case.layout().root(), &NoProgress).expect("verify runs");
    assert!(report.intact, "{report:?}");
}

#[cfg(test)]
mod regressions {
    #[test]
    fn fuzz_regressions_replay() {
        cunzheng_testkit::replay_all(&[
            ("acquisition_record", super::acquisition_record),
            ("zip_ingest", super::zip_ingest),
        ]);
    }
}
