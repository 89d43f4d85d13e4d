//! A witness cosigns a growing log and refuses a forked one, keeping both checkpoints.
#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Server, agent};
use cunzheng_tlog::checkpoint::SignedCheckpoint;
use cunzheng_tlog::client::Client;
use cunzheng_tlog::note::{Note, NoteSigner, TYPE_COSIGNATURE, Verifier};
use cunzheng_tlog::witness::{Witness, WitnessError};
use std::sync::Arc;

const ORIGIN: &str = "witness.test/log";

fn witness(db: &std::path::Path, log_vkey: &str) -> Witness {
    let signer = NoteSigner::new(
        "witness.test/w1",
        TYPE_COSIGNATURE,
        ed25519_dalek::SigningKey::from_bytes(&[42; 32]),
    )
    .unwrap();
    Witness::open(db, signer, Verifier::parse(log_vkey).unwrap()).unwrap()
}

#[test]
fn witness_cosigns_growth_and_refuses_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    // The honest log, and a fork: same key and origin, another history.
    let log = Server::start(&dir.path().join("a.db"), ORIGIN, 20);
    let fork = Server::start(&dir.path().join("b.db"), ORIGIN, 20);
    assert_eq!(log.vkey, fork.vkey);
    let log_key = Verifier::parse(&log.vkey).unwrap();
    let w = witness(&dir.path().join("w.db"), &log.vkey);
    let (a, b) = (Client::new(&log.url), Client::new(&fork.url));

    for i in 0u8..5 {
        a.add_entry(&[i; 32]).unwrap();
    }
    let first = w.poll_once(&a).unwrap();
    for i in 5u8..13 {
        a.add_entry(&[i; 32]).unwrap();
    }
    let second = w.poll_once(&a).unwrap();
    for text in [&first, &second] {
        let note = Note::parse(text.as_bytes()).unwrap();
        note.verify(&log_key).unwrap();
        note.verify(w.verifier()).unwrap();
        let sig = note
            .signatures
            .iter()
            .find(|s| s.name == "witness.test/w1")
            .unwrap();
        // Timestamped cosignature: 8-byte time + 64-byte Ed25519.
        assert_eq!(sig.signature.len(), 72);
        assert!(note.cosignature_time(w.verifier()).unwrap() > 1_600_000_000);
    }
    let cp = SignedCheckpoint::parse(second.as_bytes()).unwrap();
    assert_eq!(cp.checkpoint.size, 13);
    assert_eq!(w.latest().unwrap().as_deref(), Some(second.as_str()));
    // Polling again without growth gives the same cosigned checkpoint.
    assert_eq!(w.poll_once(&a).unwrap(), second);

    // The fork grows past 13 with other entries: refused, with evidence.
    for i in 0u8..20 {
        b.add_entry(&[i ^ 0x80; 32]).unwrap();
    }
    let err = w.poll_once(&b).unwrap_err();
    assert!(matches!(err, WitnessError::Inconsistent { .. }), "{err}");
    // Same size, other root: refused too.
    let same_size_fork = Server::start(&dir.path().join("c.db"), ORIGIN, 20);
    let c = Client::new(&same_size_fork.url);
    for i in 0u8..13 {
        c.add_entry(&[i.wrapping_add(100); 32]).unwrap();
    }
    let err = w.poll_once(&c).unwrap_err();
    assert!(matches!(err, WitnessError::Inconsistent { .. }), "{err}");
    let ev = w.evidence().unwrap();
    assert_eq!(ev.len(), 2);
    for e in &ev {
        assert_eq!(e.old_note, second);
        let new = SignedCheckpoint::parse_verified(e.new_note.as_bytes(), &log_key).unwrap();
        assert_ne!(new.checkpoint.root, cp.checkpoint.root);
    }
    // Still at the honest checkpoint, and still following the honest log.
    assert_eq!(w.latest().unwrap().as_deref(), Some(second.as_str()));
    a.add_entry(b"more").unwrap();
    let third = w.poll_once(&a).unwrap();
    assert_eq!(
        SignedCheckpoint::parse(third.as_bytes())
            .unwrap()
            .checkpoint
            .size,
        14
    );

    // A checkpoint signed by another key is not the watched log's.
    let other = Server::start(&dir.path().join("d.db"), ORIGIN, 21);
    Client::new(&other.url).add_entry(b"x").unwrap();
    assert!(matches!(
        w.poll_once(&Client::new(&other.url)),
        Err(WitnessError::NotFromLog(_))
    ));
}

#[test]
fn push_protocol_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let log = Server::start(&dir.path().join("a.db"), ORIGIN, 30);
    let a = Client::new(&log.url);
    let w = Arc::new(witness(&dir.path().join("w.db"), &log.vkey));
    let wkey = w.verifier().clone();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let w2 = Arc::clone(&w);
    let t = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(l.local_addr().unwrap()).unwrap();
            cunzheng_tlog::server::serve(l, cunzheng_tlog::witness::router(w2), async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
        });
    });
    let url = format!("http://{}", addr_rx.recv().unwrap());
    let http = agent();
    let push = |body: String| {
        let mut r = http
            .post(format!("{url}/add-checkpoint"))
            .send(body.as_bytes())
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    };
    for i in 0u8..3 {
        a.add_entry(&[i; 8]).unwrap();
    }
    let cp3 = String::from_utf8(a.checkpoint().unwrap()).unwrap();
    let (status, body) = push(format!("old 0\n\n{cp3}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("\u{2014} witness.test/w1 "));
    // The returned line completes the note.
    let full = format!("{cp3}{body}");
    Note::parse(full.as_bytes()).unwrap().verify(&wkey).unwrap();
    for i in 3u8..7 {
        a.add_entry(&[i; 8]).unwrap();
    }
    let cp7 = String::from_utf8(a.checkpoint().unwrap()).unwrap();
    // Wrong old size: 409.
    assert_eq!(push(format!("old 1\n\n{cp7}")).0, 409);
    // Right old size, no proof: 422 (inconsistent), evidence kept.
    assert_eq!(push(format!("old 3\n\n{cp7}")).0, 422);
    // With the proof: 200.
    let proof: Vec<String> = a
        .consistency(3, 7)
        .unwrap()
        .iter()
        .map(|h| B64.encode(h))
        .collect();
    let (status, body) = push(format!("old 3\n{}\n\n{cp7}", proof.join("\n")));
    assert_eq!(status, 200, "{body}");
    // Garbage: 400 / 403, never a crash.
    assert_eq!(push("nonsense".into()).0, 400);
    assert_eq!(push("old x\n\nfoo".into()).0, 400);
    assert_eq!(push("old 7\n!!\n\nfoo".into()).0, 400);
    assert_eq!(push("old 7\n\nnot a note\n".into()).0, 403);
    let mut r = http.get(format!("{url}/checkpoint")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let latest = r.body_mut().read_to_string().unwrap();
    assert_eq!(
        SignedCheckpoint::parse(latest.as_bytes())
            .unwrap()
            .checkpoint
            .size,
        7
    );
    let mut r = http.get(format!("{url}/evidence")).call().unwrap();
    let ev: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(ev.as_array().unwrap().len(), 1);
    let _ = stop.send(());
    t.join().unwrap();
}
