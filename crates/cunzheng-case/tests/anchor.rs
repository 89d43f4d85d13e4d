//! RFC 3161 anchors in the bag: requested after a seal, stored as sent, checked offline by
//! `verify`, completed later when the TSA was down, and verifiable with `openssl ts -verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cunzheng-anchor/tests/support/tsa.rs"]
mod tsa;

use cunzheng_anchor::http::Http;
use cunzheng_anchor::tsp::ImprintHash;
use cunzheng_case::anchor::{self, Tsa};
use cunzheng_case::env::Actor;
use cunzheng_case::ingest::{Limits, NoProgress};
use cunzheng_case::{Case, NewCase, verify};
use cunzheng_seal::keys::Ed25519Signer;
use tsa::{Pki, Responder, have_openssl, openssl};

fn actor() -> Actor {
    Actor::new(
        "tester",
        Box::new(Ed25519Signer::dangerous_from_seed([3; 32])),
    )
}

fn sealed_case(dir: &std::path::Path) -> Case {
    let input = dir.join("chat.txt");
    std::fs::write(&input, "12/01/2023, 10:00 - A: 转账五万\n").unwrap();
    let case = Case::create(&dir.join("case"), &NewCase::default(), &actor()).unwrap();
    case.add(&[input], &actor(), &Limits::default(), &NoProgress)
        .unwrap();
    case.seal(&actor()).unwrap().unwrap();
    case
}

#[test]
fn token_is_stored_verified_offline_and_by_openssl() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let server = Responder::start(&pki, "tsa.cnf", 0);
    let case = sealed_case(dir.path());
    let tsa = Tsa {
        url: server.url.clone(),
        roots_pem: std::fs::read(pki.path("ca.pem")).unwrap(),
        hash: ImprintHash::Sha256,
    };
    let st = anchor::request(case.layout(), &actor(), 1, &[tsa], &Http::default()).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].status, "granted", "{st:?}");
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert_eq!(report.anchors.len(), 1);
    assert_eq!(report.anchors[0].status, "granted");
    assert!(report.anchors[0].gen_time.is_some());

    // The stored files check with openssl alone, by request and by the root in hex.
    let a = case.layout().path("cunzheng/seals/0001/anchors");
    for f in ["tsa-1.json", "tsa-1.tsq", "tsa-1.tsr", "tsa-1.roots.pem"] {
        assert!(a.join(f).is_file(), "{f}");
    }
    let root = report.merkle_root.clone().unwrap();
    let out = openssl(
        &a,
        &[
            "ts",
            "-verify",
            "-queryfile",
            "tsa-1.tsq",
            "-in",
            "tsa-1.tsr",
            "-CAfile",
            "tsa-1.roots.pem",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verification: OK"));
    openssl(
        &a,
        &[
            "ts",
            "-verify",
            "-digest",
            &root,
            "-in",
            "tsa-1.tsr",
            "-CAfile",
            "tsa-1.roots.pem",
        ],
    );

    // The custody log holds the request and the time-stamp, signed.
    let log = std::fs::read_to_string(case.layout().path("cunzheng/custody.jsonl")).unwrap();
    assert!(log.contains("\"action\":\"anchor.request\""));
    assert!(log.contains("\"action\":\"anchor.timestamp\""));

    // Bag validity: a second seal after the anchor still verifies (anchor events get pinned).
    let more = dir.path().join("more.txt");
    std::fs::write(&more, "more").unwrap();
    case.add(&[more], &actor(), &Limits::default(), &NoProgress)
        .unwrap();
    case.seal(&actor()).unwrap().unwrap();
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);

    // Tampering with the token is named.
    let tsr = a.join("tsa-1.tsr");
    let mut bytes = std::fs::read(&tsr).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 1;
    std::fs::write(&tsr, &bytes).unwrap();
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(!report.intact);
    assert!(
        report.discrepancies.iter().any(|d| d.kind == "anchor"
            && d.path.ends_with("tsa-1.tsr")
            && d.detail.contains("signature of the token does not verify")),
        "{:#?}",
        report.discrepancies
    );
}

#[test]
fn unreachable_tsa_leaves_a_pending_request_that_stamp_completes() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let case = sealed_case(dir.path());
    let port = tsa::free_port();
    let tsa = Tsa {
        url: format!("http://127.0.0.1:{port}/tsa"),
        roots_pem: std::fs::read(pki.path("ca.pem")).unwrap(),
        hash: ImprintHash::Sha256,
    };
    let st = anchor::request(case.layout(), &actor(), 1, &[tsa], &Http::default()).unwrap();
    assert_eq!(st[0].status, "pending", "{st:?}");
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert_eq!(report.anchors[0].status, "pending");
    assert!(
        report.anchors[0].detail.contains("cunzheng stamp"),
        "{:?}",
        report.anchors
    );

    // Still down: stays pending (the attempt is recorded).
    let st = anchor::stamp(case.layout(), &actor(), &Http::default()).unwrap();
    assert_eq!(st[0].status, "pending");

    let server = Responder::start(&pki, "tsa.cnf", port);
    let st = anchor::stamp(case.layout(), &actor(), &Http::default()).unwrap();
    assert_eq!(st[0].status, "granted", "{st:?}");
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Nothing left to do.
    assert!(
        anchor::stamp(case.layout(), &actor(), &Http::default())
            .unwrap()
            .is_empty()
    );
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    let log = std::fs::read_to_string(case.layout().path("cunzheng/custody.jsonl")).unwrap();
    assert_eq!(log.matches("\"action\":\"anchor.pending\"").count(), 2);
    assert_eq!(log.matches("\"action\":\"anchor.timestamp\"").count(), 1);
}

#[test]
fn a_rejected_response_is_kept_and_the_request_stays_pending() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let server = Responder::start(&pki, "expired.cnf", 0);
    let case = sealed_case(dir.path());
    let tsa = Tsa {
        url: server.url.clone(),
        roots_pem: std::fs::read(pki.path("ca.pem")).unwrap(),
        hash: ImprintHash::Sha256,
    };
    let st = anchor::request(case.layout(), &actor(), 1, &[tsa], &Http::default()).unwrap();
    assert_eq!(st[0].status, "pending");
    let kept = case
        .layout()
        .path("cunzheng/seals/0001/anchors/tsa-1.rejected-1.tsr");
    assert!(kept.is_file());
    let log = std::fs::read_to_string(case.layout().path("cunzheng/custody.jsonl")).unwrap();
    assert!(log.contains("outside the validity"), "{log}");
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    // An anchor file nobody recorded is named.
    std::fs::write(
        case.layout().path("cunzheng/seals/0001/anchors/tsa-9.tsr"),
        b"x",
    )
    .unwrap();
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(
        report
            .discrepancies
            .iter()
            .any(|d| d.path.ends_with("tsa-9.tsr") && d.kind == "anchor")
    );
}

#[test]
fn a_token_older_than_the_seal_says_the_examiner_clock_ran_ahead() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let server = Responder::start(&pki, "tsa.cnf", 0);
    let ahead = || {
        let mut a = actor();
        let later = jiff::ZonedDateTime::now().saturating_add(jiff::SignedDuration::from_hours(2));
        a.clock = Box::new(cunzheng_case::env::FixedClock(later));
        a
    };
    let input = dir.path().join("x.txt");
    std::fs::write(&input, "x").unwrap();
    let case = Case::create(&dir.path().join("case"), &NewCase::default(), &ahead()).unwrap();
    case.add(&[input], &ahead(), &Limits::default(), &NoProgress)
        .unwrap();
    case.seal(&ahead()).unwrap().unwrap();
    let tsa = Tsa {
        url: server.url.clone(),
        roots_pem: std::fs::read(pki.path("ca.pem")).unwrap(),
        hash: ImprintHash::Sha256,
    };
    let st = anchor::request(case.layout(), &ahead(), 1, &[tsa], &Http::default()).unwrap();
    assert_eq!(st[0].status, "granted");
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert!(
        report.notes.iter().any(|n| n.contains("clock was ahead")),
        "{:?}",
        report.notes
    );
}
