//! Transparency-log anchors in the bag: submitted after a seal to a real log on 127.0.0.1,
//! pending while it cannot be reached, completed by `stamp`, rejected receipts kept, and every
//! byte of the stored receipt checked by `verify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cunzheng-tlog/tests/common/mod.rs"]
mod log_server;

use cunzheng_anchor::http::Http;
use cunzheng_case::anchor::{self, HttpLog, Log, Submitter};
use cunzheng_case::env::Actor;
use cunzheng_case::ingest::{Limits, NoProgress};
use cunzheng_case::{Case, NewCase, verify};
use cunzheng_seal::keys::Ed25519Signer;
use cunzheng_tlog::receipt::Receipt;
use log_server::Server;
use std::sync::atomic::{AtomicBool, Ordering};

const ORIGIN: &str = "case.test/log";
const DIR: &str = "cunzheng/seals/0001/anchors";

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

/// The real client, unreachable while `down`.
struct Flaky {
    down: AtomicBool,
}

impl Submitter for Flaky {
    fn submit(&self, url: &str, entry: &[u8]) -> Result<Receipt, String> {
        if self.down.load(Ordering::SeqCst) {
            return Err("connection refused (test)".into());
        }
        HttpLog.submit(url, entry)
    }
}

/// The real client, but the log lies about the time.
struct Liar;

impl Submitter for Liar {
    fn submit(&self, url: &str, entry: &[u8]) -> Result<Receipt, String> {
        let mut r = HttpLog.submit(url, entry)?;
        r.timestamp_ms -= 86_400_000;
        Ok(r)
    }
}

fn custody(case: &Case) -> String {
    std::fs::read_to_string(case.layout().path("cunzheng/custody.jsonl")).unwrap()
}

#[test]
fn pending_while_down_then_stamped_and_every_receipt_byte_matters() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("log.db"), ORIGIN, 7);
    let case = sealed_case(dir.path());
    let log = Log {
        url: server.url.clone(),
        vkey: Some(server.vkey.clone()),
    };
    let flaky = Flaky {
        down: AtomicBool::new(true),
    };
    let st = anchor::tlog::request(case.layout(), &actor(), 1, &[log], &flaky).unwrap();
    assert_eq!(st[0].status, "pending", "{st:?}");
    assert!(custody(&case).contains("\"action\":\"anchor.pending\""));
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert_eq!(report.anchors[0].status, "pending");

    // Still down: still pending. Up: granted.
    let st = anchor::stamp_with(case.layout(), &actor(), &Http::default(), &flaky).unwrap();
    assert_eq!(st[0].status, "pending");
    flaky.down.store(false, Ordering::SeqCst);
    let st = anchor::stamp_with(case.layout(), &actor(), &Http::default(), &flaky).unwrap();
    assert_eq!(st[0].status, "granted", "{st:?}");
    let st = anchor::stamp_with(case.layout(), &actor(), &Http::default(), &flaky).unwrap();
    assert!(st.is_empty(), "nothing pending: {st:?}");

    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    let a = &report.anchors[0];
    assert_eq!(a.status, "granted");
    assert_eq!(a.kind, anchor::KIND_TLOG);
    let v = a.receipt.as_ref().unwrap();
    assert_eq!(v.origin, ORIGIN);
    assert_eq!(v.index, 0);
    assert!(v.tree_size >= 1);
    // The receipt is for the signed root.
    let stored: Receipt = serde_json::from_slice(
        &std::fs::read(case.layout().path(&format!("{DIR}/log-1.receipt.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(Some(stored.entry_hex.clone()), report.merkle_root);

    // Every byte of the receipt: the change is found and the receipt named.
    let p = case.layout().path(&format!("{DIR}/log-1.receipt.json"));
    let good = std::fs::read(&p).unwrap();
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0x01;
        std::fs::write(&p, &b).unwrap();
        let r = verify::verify(case.layout().root(), &NoProgress).unwrap();
        assert!(!r.intact, "byte {i}");
        assert!(
            r.discrepancies
                .iter()
                .any(|d| d.path.ends_with("log-1.receipt.json")),
            "byte {i}: {:#?}",
            r.discrepancies
        );
    }
    std::fs::write(&p, &good).unwrap();
    assert!(
        verify::verify(case.layout().root(), &NoProgress)
            .unwrap()
            .intact
    );
}

#[test]
fn a_receipt_that_fails_is_kept_as_rejected_and_the_anchor_stays_pending() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("log.db"), ORIGIN, 8);
    let case = sealed_case(dir.path());
    let log = Log {
        url: server.url.clone(),
        vkey: Some(server.vkey.clone()),
    };
    let st = anchor::tlog::request(case.layout(), &actor(), 1, &[log], &Liar).unwrap();
    assert_eq!(st[0].status, "pending", "{st:?}");
    assert!(
        case.layout()
            .path(&format!("{DIR}/log-1.rejected-1.json"))
            .is_file()
    );
    let c = custody(&case);
    assert!(c.contains("\"action\":\"anchor.rejected\""), "{c}");
    assert!(c.contains("signed entry timestamp"), "{c}");
    // Rejected twice, then the honest answer.
    anchor::stamp_with(case.layout(), &actor(), &Http::default(), &Liar).unwrap();
    assert!(
        case.layout()
            .path(&format!("{DIR}/log-1.rejected-2.json"))
            .is_file()
    );
    let st = anchor::stamp(case.layout(), &actor(), &Http::default()).unwrap();
    assert_eq!(st[0].status, "granted", "{st:?}");
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert_eq!(report.anchors.len(), 1, "rejected receipts are not records");
    assert_eq!(report.anchors[0].status, "granted");
}

#[test]
fn without_a_configured_key_the_served_one_is_stored_and_only_unverified() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("log.db"), ORIGIN, 9);
    let case = sealed_case(dir.path());
    let log = Log {
        url: server.url.clone(),
        vkey: None,
    };
    let st = anchor::tlog::request(case.layout(), &actor(), 1, &[log], &HttpLog).unwrap();
    assert_eq!(st[0].status, "unverified", "{st:?}");
    assert!(st[0].detail.contains("not pinned"), "{}", st[0].detail);
    let vkey = std::fs::read_to_string(case.layout().path(&format!("{DIR}/log-1.vkey"))).unwrap();
    assert_eq!(vkey.trim(), server.vkey);
    let report = verify::verify(case.layout().root(), &NoProgress).unwrap();
    assert!(report.intact, "{:#?}", report.discrepancies);
    assert_eq!(report.anchors[0].status, "unverified");
    // A malformed configured key is refused before anything is written.
    let bad = Log {
        url: server.url.clone(),
        vkey: Some("not a key".into()),
    };
    assert!(anchor::tlog::request(case.layout(), &actor(), 1, &[bad], &HttpLog).is_err());
    assert!(!case.layout().path(&format!("{DIR}/log-2.json")).exists());
}
