//! SM2 signatures beside Ed25519: a case sealed before SM2 existed stays verifiable, and the
//! next seal by an examiner with an SM2 key signs with both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_case::env::Actor;
use cunzheng_case::ingest::{Limits, NoProgress};
use cunzheng_case::{Case, NewCase, verify};
use cunzheng_seal::keys::Ed25519Signer;
use cunzheng_seal::sm2key::Sm2Signer;

fn ed_only() -> Actor {
    Actor::new(
        "tester",
        Box::new(Ed25519Signer::dangerous_from_seed([3; 32])),
    )
}

#[test]
fn old_seals_without_sm2_and_new_ones_with_it_verify_together() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "a").unwrap();
    let case = Case::create(&dir.path().join("case"), &NewCase::default(), &ed_only()).unwrap();
    case.add(&[a], &ed_only(), &Limits::default(), &NoProgress)
        .unwrap();
    case.seal(&ed_only()).unwrap().unwrap();
    let st1 =
        std::fs::read_to_string(case.layout().path("cunzheng/seals/0001/statement.txt")).unwrap();
    assert!(st1.starts_with("cunzheng seal statement v1\n"));
    assert!(
        !case
            .layout()
            .path("cunzheng/seals/0001/statement.sm2.sig")
            .exists()
    );
    assert!(
        verify::verify(case.layout().root(), &NoProgress)
            .unwrap()
            .intact
    );

    let with_sm2 = || ed_only().with_sm2(Sm2Signer::dangerous_from_bytes(&[4; 32]).unwrap());
    let b = dir.path().join("b.txt");
    std::fs::write(&b, "b").unwrap();
    case.add(&[b], &with_sm2(), &Limits::default(), &NoProgress)
        .unwrap();
    case.seal(&with_sm2()).unwrap().unwrap();
    let st2 =
        std::fs::read_to_string(case.layout().path("cunzheng/seals/0002/statement.txt")).unwrap();
    assert!(st2.starts_with("cunzheng seal statement v2\n"));
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert!(report.signing_keys.iter().any(|k| k.starts_with("sm2:")));
    let log = std::fs::read_to_string(case.layout().path("cunzheng/custody.jsonl")).unwrap();
    let signed = log.lines().filter(|l| l.contains("\"sig_sm2\"")).count();
    assert!(signed >= 2 && signed < log.lines().count(), "{log}");

    // Removing the SM2 key from the bag is named for the statement and the events.
    let sm2_pub = Sm2Signer::dangerous_from_bytes(&[4; 32])
        .unwrap()
        .public_key();
    let rel = cunzheng_case::layout::Layout::key_rel(&sm2_pub.fingerprint());
    std::fs::remove_file(case.layout().path(&rel)).unwrap();
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(!report.intact);
    assert!(
        report
            .discrepancies
            .iter()
            .any(|d| d.detail.contains("SM2 key")),
        "{:#?}",
        report.discrepancies
    );
}
