//! `cunzheng log`: the transparency log binary survives `kill -9` in the middle of concurrent
//! appends with no lost acknowledged entry and no fork; submit and verify from the CLI.

use super::common::Env;
use cunzheng_tlog::checkpoint::SignedCheckpoint;
use cunzheng_tlog::client::Client;
use cunzheng_tlog::note::Verifier;
use cunzheng_tlog::receipt::verify_consistency;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ORIGIN: &str = "crash.test/log";

/// Acknowledged (index, entry) pairs.
type Acked = Vec<(u64, Vec<u8>)>;

/// A child process killed when the test ends, even by a failed assertion, so that no server
/// outlives its test.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// Starts `cunzheng log serve` on a free port; returns the child, its URL and its key.
fn serve(env: &Env) -> (Running, String, String) {
    let db = env.path("log.db");
    let key = env.path("log-key.pem");
    let mut child = env
        .cmd(&[
            "--json",
            "log",
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--db",
            db.to_str().expect("utf8"),
            "--key",
            key.to_str().expect("utf8"),
            "--origin",
            ORIGIN,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .map(Running)
        .expect("spawn log serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
    let url = format!("http://{}", v["listening"].as_str().expect("address"));
    (child, url, v["log_key"].as_str().expect("key").to_owned())
}

#[test]
fn log_survives_kill_9_mid_append() {
    let env = Env::new();
    let (mut child, url, vkey) = serve(&env);
    let key = Verifier::parse(&vkey).expect("vkey");
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let handed_out: Arc<Mutex<BTreeMap<u64, String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0u8..8)
        .map(|t| {
            let (acked, handed_out, stop) = (acked.clone(), handed_out.clone(), stop.clone());
            let client = Client::new(&url);
            std::thread::spawn(move || {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let mut entry = vec![t];
                    entry.extend_from_slice(&i.to_be_bytes());
                    i += 1;
                    match client.add_entry(&entry) {
                        Ok(r) => {
                            let size = SignedCheckpoint::parse(r.checkpoint.as_bytes())
                                .expect("checkpoint parses")
                                .checkpoint
                                .size;
                            handed_out.lock().expect("lock").insert(size, r.checkpoint);
                            acked.lock().expect("lock").push((r.index, entry));
                        }
                        // The server is gone: what was not acknowledged may or may not be in.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    while acked.lock().expect("lock").len() < 1000 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL while the workers keep appending.
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
    let acked = acked.lock().expect("lock").clone();
    let handed_out = handed_out.lock().expect("lock").clone();
    assert!(
        acked.len() >= 300,
        "only {} appends before the kill",
        acked.len()
    );

    let (mut child, url, vkey2) = serve(&env);
    assert_eq!(vkey2, vkey, "same key after restart");
    let client = Client::new(&url);
    let latest = SignedCheckpoint::parse_verified(&client.checkpoint().expect("checkpoint"), &key)
        .expect("restarted log's checkpoint verifies");
    assert!(latest.checkpoint.size as usize >= acked.len());
    // Every acknowledged entry is there, at the index it was given.
    for (index, entry) in &acked {
        let got = client.entry(*index).expect("acknowledged entry present");
        assert_eq!(got.entry_hex, hex::encode(entry), "entry {index}");
    }
    // The tree after the restart extends every checkpoint handed out before the kill.
    for note in handed_out.values() {
        let old = SignedCheckpoint::parse_verified(note.as_bytes(), &key).expect("old checkpoint");
        let proof = if old.checkpoint.size == 0 {
            vec![]
        } else {
            client
                .consistency(old.checkpoint.size, latest.checkpoint.size)
                .expect("consistency proof")
        };
        verify_consistency(&key, &old, &latest, &proof).expect("no fork");
    }
    // And it keeps appending after the highest index.
    let r = client
        .add_entry(b"after restart")
        .expect("append after restart");
    assert_eq!(r.index, latest.checkpoint.size);
    child.kill().expect("stop server");
    let _ = child.wait();
}

#[test]
fn submit_and_verify_from_the_cli() {
    let env = Env::new();
    let (mut child, url, vkey) = serve(&env);
    let root = "ab".repeat(32);
    let receipt = env.path("receipt.json");
    let out = env.run(&[
        "log",
        "submit",
        &url,
        "--root",
        &root,
        "-o",
        receipt.to_str().expect("utf8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.run(&[
        "--json",
        "log",
        "verify",
        receipt.to_str().expect("utf8"),
        "--log-key",
        &vkey,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Grow the log, then check consistency against the newer checkpoint.
    let client = Client::new(&url);
    for i in 0u8..5 {
        client.add_entry(&[i; 32]).expect("append");
    }
    let cp = env.path("newer.checkpoint");
    std::fs::write(&cp, client.checkpoint().expect("checkpoint")).expect("write");
    let out = env.run(&[
        "log",
        "verify",
        receipt.to_str().expect("utf8"),
        "--log-key",
        &vkey,
        "--checkpoint",
        cp.to_str().expect("utf8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("consistent"));
    // A different root, or a tampered receipt, is exit 1.
    let out = env.run(&[
        "log",
        "verify",
        receipt.to_str().expect("utf8"),
        "--log-key",
        &vkey,
        "--root",
        &"cd".repeat(32),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&receipt).expect("read");
    let tampered = text.replace("\"index\": 0", "\"index\": 1");
    assert_ne!(tampered, text);
    std::fs::write(&receipt, tampered).expect("write");
    let out = env.run(&[
        "log",
        "verify",
        receipt.to_str().expect("utf8"),
        "--log-key",
        &vkey,
    ]);
    assert_eq!(out.status.code(), Some(1));
    child.kill().expect("stop server");
    let _ = child.wait();
}

#[test]
fn witness_from_the_cli_cosigns_the_log() {
    let env = Env::new();
    let (mut log, url, vkey) = serve(&env);
    let client = Client::new(&url);
    for i in 0u8..3 {
        client.add_entry(&[i; 32]).expect("append");
    }
    let wdb = env.path("w.db");
    let mut w = env
        .cmd(&[
            "--json",
            "log",
            "witness",
            "--log",
            &url,
            "--log-key",
            &vkey,
            "--bind",
            "127.0.0.1:0",
            "--db",
            wdb.to_str().expect("utf8"),
            "--interval",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map(Running)
        .expect("spawn witness");
    let mut line = String::new();
    BufReader::new(w.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let waddr = v["listening"].as_str().expect("addr").to_owned();
    let wkey = Verifier::parse(v["witness_key"].as_str().expect("key")).expect("witness vkey");
    let log_key = Verifier::parse(&vkey).expect("vkey");
    let start = Instant::now();
    let cosigned = loop {
        let body = http_get_ok(&waddr);
        if let Some(b) = body {
            break b;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "witness never cosigned"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let cp = SignedCheckpoint::parse_verified(&cosigned, &log_key).expect("log signature");
    assert_eq!(cp.checkpoint.size, 3);
    cp.note.verify(&wkey).expect("witness cosignature");
    w.kill().expect("stop witness");
    let _ = w.wait();
    log.kill().expect("stop log");
    let _ = log.wait();
}

/// GET /checkpoint on `addr` over a plain socket; the body when the status is 200.
fn http_get_ok(addr: &str) -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..split]);
    head.starts_with("HTTP/1.1 200")
        .then(|| buf[split + 4..].to_vec())
}

/// The checkpoint's signature and key ID checked with OpenSSL, an implementation independent
/// of ours: `openssl pkeyutl -verify -rawin` over the note text, and SHA-256 of
/// name || 0x0A || 0x01 || raw public key for the key ID.
#[test]
fn checkpoint_signature_verifies_with_openssl() {
    use base64::Engine as _;
    let env = Env::new();
    let (_log, url, _) = serve(&env);
    let client = Client::new(&url);
    for i in 0u8..3 {
        client.add_entry(&[i; 32]).expect("append");
    }
    let note = String::from_utf8(client.checkpoint().expect("checkpoint")).expect("utf8");
    let (text, sigs) = note.split_at(note.rfind("\n\n").expect("blank line") + 1);
    let line = sigs
        .trim_start_matches('\n')
        .lines()
        .next()
        .expect("signature line");
    let b64 = line
        .strip_prefix(&format!("\u{2014} {ORIGIN} "))
        .expect("key name is the origin");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(raw.len(), 68);
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl (scripts/test installs it)");
        (out.status.success(), out.stdout)
    };
    let key = env.path("log-key.pem");
    let (pem, der) = (env.path("pub.pem"), env.path("pub.der"));
    let path = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
    assert!(openssl(&["pkey", "-in", &path(&key), "-pubout", "-out", &path(&pem)]).0);
    assert!(
        openssl(&[
            "pkey",
            "-in",
            &path(&key),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            &path(&der)
        ])
        .0
    );
    let (msg, sig) = (env.path("msg"), env.path("sig"));
    std::fs::write(&msg, text).expect("write");
    std::fs::write(&sig, &raw[4..]).expect("write");
    let verify = |m: &std::path::Path| {
        openssl(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            &path(&pem),
            "-rawin",
            "-in",
            &path(m),
            "-sigfile",
            &path(&sig),
        ])
        .0
    };
    assert!(verify(&msg), "openssl rejects the checkpoint signature");
    let tampered = env.path("tampered");
    std::fs::write(&tampered, text.replace("\n3\n", "\n4\n")).expect("write");
    assert!(!verify(&tampered), "openssl accepts a tampered checkpoint");
    // Key ID: SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]; the key is the DER's tail.
    let spki = std::fs::read(&der).expect("der");
    let mut pre = ORIGIN.as_bytes().to_vec();
    pre.extend_from_slice(&[0x0a, 0x01]);
    pre.extend_from_slice(&spki[spki.len() - 32..]);
    let pre_path = env.path("keyid-input");
    std::fs::write(&pre_path, pre).expect("write");
    let (ok, digest) = openssl(&["dgst", "-sha256", "-binary", &path(&pre_path)]);
    assert!(ok);
    assert_eq!(&digest[..4], &raw[..4], "key ID");
}
