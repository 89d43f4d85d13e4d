//! The HTTP API end to end on 127.0.0.1: receipts, proofs checked with cunzheng-seal's
//! verifier, the C2SP checkpoint format, consistency across growth, hostile requests.
#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Server, agent};
use cunzheng_seal::merkle;
use cunzheng_tlog::checkpoint::SignedCheckpoint;
use cunzheng_tlog::client::Client;
use cunzheng_tlog::note::Verifier;
use cunzheng_tlog::receipt::{ReceiptError, verify_consistency};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "tlog.test/cunzheng";

#[test]
fn receipts_proofs_and_checkpoint_format() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(&dir.path().join("log.db"), ORIGIN, 9);
    let key = Verifier::parse(&srv.vkey).unwrap();
    let client = Client::new(&srv.url);
    assert_eq!(client.log_key().unwrap(), srv.vkey);

    // 4 threads x 10 roots.
    let receipts: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0u8..4)
            .map(|t| {
                let c = client.clone();
                s.spawn(move || {
                    (0u8..10)
                        .map(|i| {
                            let root = Sha256::digest([t, i]).to_vec();
                            (root.clone(), c.submit(&root).unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut indices: Vec<u64> = receipts.iter().map(|(_, r)| r.index).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..40).collect::<Vec<_>>());
    for (root, r) in &receipts {
        let v = r.verify(root, &key).unwrap();
        assert!(v.tree_size > r.index);
        // Receipts are stored as JSON: round trip.
        let back: cunzheng_tlog::receipt::Receipt =
            serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap();
        back.verify(root, &key).unwrap();
        // Wrong root, tampered SET and tampered path are rejected.
        assert!(matches!(
            r.verify(&[0; 32], &key),
            Err(ReceiptError::EntryMismatch { .. })
        ));
        let mut bad = r.clone();
        bad.timestamp_ms += 1;
        assert!(matches!(bad.verify(root, &key), Err(ReceiptError::BadSet)));
        if let Some(first) = r.inclusion_proof.first() {
            let mut bad = r.clone();
            bad.inclusion_proof[0] =
                first.replace(&first[..1], if &first[..1] == "0" { "1" } else { "0" });
            assert!(bad.verify(root, &key).is_err());
        }
    }

    // The latest checkpoint: C2SP format, parsed back by hand and by the library.
    let raw = client.checkpoint().unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[0], ORIGIN);
    assert_eq!(lines[1], "40");
    let root = B64.decode(lines[2]).unwrap();
    assert_eq!(root.len(), 32);
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} tlog.test/cunzheng "));
    assert_eq!(lines[5], "");
    assert_eq!(lines.len(), 6);
    let sig = B64.decode(lines[4].rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(sig.len(), 4 + 64);
    // Key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], computed here independently.
    let mut h = Sha256::new();
    h.update(ORIGIN.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(key.key.as_bytes());
    assert_eq!(&sig[..4], &h.finalize()[..4]);
    let signed_text = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]);
    key.key
        .verify_strict(
            signed_text.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig[4..].try_into().unwrap()),
        )
        .unwrap();
    let cp = SignedCheckpoint::parse_verified(&raw, &key).unwrap();
    assert_eq!(cp.to_text(), text);

    // Inclusion proofs by index and by leaf hash agree and verify with cunzheng-seal.
    for (root, r) in receipts.iter().take(5) {
        let by_index = client.inclusion(r.index, 40).unwrap();
        let leaf = merkle::leaf_hash(root);
        let url = format!(
            "{}/proof/inclusion?leaf_hash={}&size=40",
            srv.url,
            hex::encode(leaf)
        );
        let by_hash: cunzheng_tlog::api::InclusionResponse = serde_json::from_slice(
            &agent()
                .get(&url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_vec()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(by_index, by_hash);
        let path = cunzheng_tlog::client::parse_hashes(&by_index.proof, "").unwrap();
        merkle::verify_inclusion(&leaf, r.index, 40, &path, &cp.checkpoint.root).unwrap();
    }
}

#[test]
fn consistency_across_growth() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(&dir.path().join("log.db"), ORIGIN, 10);
    let key = Verifier::parse(&srv.vkey).unwrap();
    let client = Client::new(&srv.url);
    let mut checkpoints = Vec::new();
    for i in 0u32..24 {
        client.add_entry(&i.to_le_bytes()).unwrap();
        let raw = client.checkpoint().unwrap();
        checkpoints.push(SignedCheckpoint::parse_verified(&raw, &key).unwrap());
    }
    for a in &checkpoints {
        for b in &checkpoints {
            let (o, n) = (a.checkpoint.size, b.checkpoint.size);
            if o > n {
                continue;
            }
            let proof = client.consistency(o, n).unwrap();
            verify_consistency(&key, a, b, &proof).unwrap();
            merkle::verify_consistency(o, n, &a.checkpoint.root, &b.checkpoint.root, &proof)
                .unwrap();
        }
    }
    // A checkpoint from another log with the same name but another key is rejected.
    let dir2 = tempfile::tempdir().unwrap();
    let other = Server::start(&dir2.path().join("log.db"), ORIGIN, 11);
    Client::new(&other.url).add_entry(b"x").unwrap();
    let raw = Client::new(&other.url).checkpoint().unwrap();
    assert!(SignedCheckpoint::parse_verified(&raw, &key).is_err());
}

#[test]
fn hostile_requests_get_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(&dir.path().join("log.db"), ORIGIN, 12);
    let client = Client::new(&srv.url);
    for i in 0u8..5 {
        client.add_entry(&[i; 32]).unwrap();
    }
    let a = agent();
    let post = |body: &[u8], ct: &str| {
        let r = a
            .post(format!("{}/add-entry", srv.url))
            .header("content-type", ct)
            .send(body)
            .unwrap();
        r.status().as_u16()
    };
    let cases: Vec<(&[u8], &str)> = vec![
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (b"{\"entry_hex\": 5}", "application/json"),
        (b"{\"entry_hex\": \"zz\"}", "application/json"),
        (b"{\"entry_hex\": \"\"}", "application/json"),
        (b"{\"entry_hex\": \"00\", \"x\": 1}", "application/json"),
        (b"{\"entry_hex\": \"00\"}", "text/plain"),
        (b"\xff\xfe", "application/json"),
    ];
    for (body, ct) in cases {
        let s = post(body, ct);
        assert!(
            (400..500).contains(&s),
            "{:?} -> {s}",
            String::from_utf8_lossy(body)
        );
    }
    // An entry over the cap, and a body over the limit.
    let big = format!("{{\"entry_hex\": \"{}\"}}", "00".repeat(2000));
    assert_eq!(post(big.as_bytes(), "application/json"), 400);
    // A body declared at 4 MiB: refused without reading it all (raw socket, since the server
    // answers and closes before a normal client finishes sending).
    assert_eq!(raw_status(srv.addr, 4 << 20), 413);
    // A body just over the limit, sent in full.
    let over = vec![b' '; cunzheng_tlog::server::MAX_BODY_BYTES + 1];
    assert_eq!(raw_status(srv.addr, over.len()), 413);
    let get = |path: &str| {
        a.get(format!("{}{path}", srv.url))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    for (path, want) in [
        ("/proof/inclusion?index=5&size=5", 404),
        ("/proof/inclusion?index=99", 404),
        ("/proof/inclusion?index=0&size=6", 404),
        ("/proof/inclusion?index=18446744073709551615", 404),
        ("/proof/inclusion?index=18446744073709551616", 400),
        ("/proof/inclusion?index=-1", 400),
        ("/proof/inclusion", 400),
        ("/proof/inclusion?index=0&leaf_hash=00", 400),
        ("/proof/inclusion?leaf_hash=zz", 400),
        (
            "/proof/inclusion?leaf_hash=0000000000000000000000000000000000000000000000000000000000000000",
            404,
        ),
        ("/proof/consistency?old=0&new=5", 400),
        ("/proof/consistency?old=6&new=5", 400),
        ("/proof/consistency?old=1&new=6", 404),
        ("/proof/consistency?old=1&new=18446744073709551615", 404),
        ("/proof/consistency", 400),
        ("/entry/5", 404),
        ("/entry/x", 400),
        ("/entry/18446744073709551615", 404),
        ("/nothing", 404),
    ] {
        assert_eq!(get(path), want, "{path}");
    }
    // Still serving afterwards.
    assert_eq!(get("/proof/inclusion?index=4&size=5"), 200);
    assert_eq!(get("/entry/4"), 200);
}

/// Sends a POST /add-entry declaring `len` body bytes, writes up to 64 KiB of them, and
/// returns the status code of the answer.
fn raw_status(addr: std::net::SocketAddr, len: usize) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /add-entry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(&vec![b' '; len.min(64 << 10)]);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
