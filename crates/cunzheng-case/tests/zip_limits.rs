//! Archive safety limits, exercised through the library with small limits so the test is fast.

use cunzheng_case::env::Actor;
use cunzheng_case::ingest::{Limits, NoProgress};
use cunzheng_case::{Case, NewCase};
use cunzheng_seal::keys::Ed25519Signer;
use std::io::Write;
use std::path::Path;

fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).expect("entry");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish");
}

fn actor() -> Actor {
    Actor::new(
        "tester",
        Box::new(Ed25519Signer::dangerous_from_seed([3; 32])),
    )
}

#[test]
fn a_zip_bomb_stops_at_the_budget_and_the_archive_is_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let bomb = dir.path().join("bomb.zip");
    let zeros = vec![0u8; 16 << 20];
    zip_of(
        &bomb,
        &[
            ("small.txt", b"ok"),
            ("zeros.bin", &zeros),
            ("after.txt", b"x"),
        ],
    );
    let size = std::fs::metadata(&bomb).expect("meta").len();
    assert!(size < 100_000, "deflated zeros should be tiny, got {size}");
    let case =
        Case::create(&dir.path().join("case"), &NewCase::default(), &actor()).expect("create");
    let limits = Limits {
        ratio: 10,
        slack: 1 << 20,
        ..Limits::default()
    };
    let acq = case
        .add(&[bomb], &actor(), &limits, &NoProgress)
        .expect("add");
    // The archive and the small entry are preserved; the bomb entry is refused and recorded.
    assert_eq!(acq.items.len(), 2, "{acq:#?}");
    assert!(
        acq.skipped
            .iter()
            .any(|s| s.what == "too_large" && s.location.contains("zeros.bin")),
        "{acq:#?}"
    );
    assert!(acq.is_incomplete());
    assert!(case.seal(&actor()).expect("seal").is_some());
    let report = cunzheng_case::verify::verify(case.layout().root(), &NoProgress).expect("verify");
    assert!(report.intact, "{report:#?}");
    // Nothing of the refused entry is left behind.
    assert!(!case.layout().staging().exists());
}

#[test]
fn nested_archives_open_to_the_depth_limit_then_are_kept_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let inner = dir.path().join("inner.zip");
    zip_of(&inner, &[("deep.txt", b"deep message")]);
    let middle = dir.path().join("middle.zip");
    zip_of(
        &middle,
        &[("inner.zip", &std::fs::read(&inner).expect("inner"))],
    );
    let outer = dir.path().join("outer.zip");
    zip_of(
        &outer,
        &[
            ("middle.zip", &std::fs::read(&middle).expect("middle")),
            ("a.txt", b"a"),
        ],
    );
    let case =
        Case::create(&dir.path().join("case"), &NewCase::default(), &actor()).expect("create");
    let limits = Limits {
        max_archive_depth: 2,
        ..Limits::default()
    };
    let acq = case
        .add(&[outer], &actor(), &limits, &NoProgress)
        .expect("add");
    // outer, middle.zip, a.txt, inner.zip (kept whole at depth 2, not opened).
    assert_eq!(acq.items.len(), 4, "{acq:#?}");
    assert!(
        acq.notices.iter().any(|n| n.what == "nested_archive"),
        "{acq:#?}"
    );
    let deep = Limits {
        max_archive_depth: 4,
        ..Limits::default()
    };
    let case2 =
        Case::create(&dir.path().join("case2"), &NewCase::default(), &actor()).expect("create");
    let acq = case2
        .add(
            &[dir.path().join("outer.zip")],
            &actor(),
            &deep,
            &NoProgress,
        )
        .expect("add");
    assert_eq!(acq.items.len(), 5, "{acq:#?}");
}
